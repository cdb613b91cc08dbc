"""Pagination of long lists, for the pages and the API.

``LateRowPaginator`` reads a page in two steps: first the primary keys of the page (an index-only
scan, however deep the page), then the rows of those keys. Reading the full rows of every skipped
row, as OFFSET does, made deep pages of a 300,000-unit registry slow (docs/benchmarks.md).
API lists answer {"count", "next", "previous", "results"}; a list with a count cap adds
"count_capped" (true: there are more than "count" rows).
"""

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response


class OpenPage(Page):
    """A page of a list whose end is not known (the count was capped): there is a next page when
    one more key was found beyond this page."""

    def __init__(self, object_list, number, paginator, more: bool):
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self):
        return self.more


class LateRowPaginator(Paginator):
    """With ``count_cap``, counting stops after cap + 1 rows (``capped`` tells the page to say
    "more than 10,000"): an exact count of millions of rows reads them all, however indexed. Past
    the cap the pages are open-ended: any page number is accepted and the next page exists while
    rows remain, so every row can still be reached."""

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

    def validate_number(self, number):
        if not self.capped:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(_("That page number is not an integer")) from None
        if number < 1:
            raise EmptyPage(_("That page number is less than 1"))
        return number

    def get_page(self, number):
        """As Django's, except that a page past the end of an open-ended list gives the first page
        (the last one is not known)."""
        try:
            return super().get_page(number)
        except EmptyPage:
            return self.page(1)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count and not self.capped:
            top = self.count
        queryset = self.object_list
        if not hasattr(queryset, "values_list"):
            return super().page(number)
        if self.capped:  # one key more tells whether a next page exists
            keys = list(queryset.values_list("pk", flat=True)[bottom:top + 1])
            more = len(keys) > self.per_page
            keys = keys[: self.per_page]
            if not keys and number > 1:
                raise EmptyPage(_("That page contains no results"))
        else:
            keys = list(queryset.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in queryset.filter(pk__in=keys).order_by()}
        found = [rows[key] for key in keys if key in rows]
        return OpenPage(found, number, self, more) if self.capped else Page(found, number, self)


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    django_paginator_class = LateRowPaginator


class CappedPagination(Pagination):
    """For lists of millions of rows: ``count`` is exact up to ``count_cap``; beyond it the answer
    says ``"count": count_cap, "count_capped": true`` and ``next`` keeps leading on to the end."""

    count_cap = 10_000

    def django_paginator_class(self, queryset, per_page):  # noqa: D102 - DRF calls it like the class
        return LateRowPaginator(queryset, per_page, count_cap=self.count_cap)

    def get_page_number(self, request, paginator):
        """``page=last`` of a capped list would be the last page of the first cap + 1 rows, a page
        in the middle: refused with a reason instead."""
        number = request.query_params.get(self.page_query_param) or 1
        if number in self.last_page_strings and paginator.capped:
            raise NotFound(_("The last page of a list counted only up to %(cap)s rows is not known; "
                             "follow “next”.") % {"cap": paginator.count_cap})
        return super().get_page_number(request, paginator)

    def get_paginated_response(self, data):
        paginator = self.page.paginator
        count = paginator.count if paginator.count_cap is None else min(paginator.count, paginator.count_cap)
        return Response({
            "count": count, "count_capped": paginator.capped,
            "next": self.get_next_link(), "previous": self.get_previous_link(), "results": data,
        })

    def get_paginated_response_schema(self, schema):
        answer = super().get_paginated_response_schema(schema)
        answer["properties"]["count_capped"] = {"type": "boolean", "description": self.capped_description()}
        answer["required"] = [*answer.get("required", ["count", "results"]), "count_capped"]
        return answer

    def capped_description(self) -> str:
        return f"true: there are more than count rows (counting stops at {self.count_cap})"


class SearchCappedPagination(CappedPagination):
    """Lists whose count is exact, except for a search (``q``): its count stops at ``count_cap``,
    as the page's does. Confirming a common word in tens of thousands of names is what a search
    spends its time on; the first pages do not need it."""

    def paginate_queryset(self, queryset, request, view=None):
        self.searching = bool(request.query_params.get("q", "").strip())
        return super().paginate_queryset(queryset, request, view)

    def django_paginator_class(self, queryset, per_page):  # noqa: D102
        return LateRowPaginator(queryset, per_page, count_cap=self.count_cap if self.searching else None)

    def capped_description(self) -> str:
        return (f"true: there are more than count rows (a search, q, counts up to {self.count_cap}; "
                "other lists count exactly)")
