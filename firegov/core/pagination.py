"""Pagination of long lists, for the pages and the API.

``LateRowPaginator`` reads a page in two steps: first the primary keys of the page (an index-only
scan, however deep the page), then the rows of those keys. Reading the full rows of every skipped
row, as OFFSET does, made deep pages of a 300,000-unit registry slow (docs/benchmarks.md).
API lists answer {"count", "next", "previous", "results"}.
"""

from django.core.paginator import Page, Paginator
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination


class LateRowPaginator(Paginator):
    """With ``count_cap``, counting stops after cap + 1 rows (``capped`` tells the page to say
    "1,000+"): a search by substring cannot use an index, and an exact count read the whole table."""

    def __init__(self, *args, count_cap: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_cap = count_cap

    @cached_property
    def count(self):
        if self.count_cap is None or not hasattr(self.object_list, "order_by"):
            return super().count
        return self.object_list.order_by()[: self.count_cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count_cap is not None and self.count > self.count_cap

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count and not self.capped:
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
