"""Pagination of long lists, for the pages and the API.

``LateRowPaginator`` reads a page in two steps: first the primary keys of the page (an index-only
scan, however deep the page), then the rows of those keys. Reading the full rows of every skipped
row, as OFFSET does, made deep pages of a 300,000-unit registry slow (docs/benchmarks.md).
API lists answer {"count", "next", "previous", "results"}.
"""

from django.core.paginator import Page, Paginator
from rest_framework.pagination import PageNumberPagination


class LateRowPaginator(Paginator):
    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        queryset = self.object_list
        if not hasattr(queryset, "values_list"):
            return super().page(number)
        keys = list(queryset.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in queryset.filter(pk__in=keys).order_by()}
        return Page([rows[key] for key in keys if key in rows], number, self)


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    django_paginator_class = LateRowPaginator
