"""Document numbers per agency, per kind, per year: 枣薛消限字〔2026〕第0001号."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from firegov.core.models import DocumentKind, DocumentSequence


class NumberingError(ValueError):
    pass


def format_number(prefix: str, word: str, year: int, seq: int, digits: int) -> str:
    return f"{prefix}{word}字〔{year}〕第{seq:0{digits}d}号"


def next_number(agency, kind_code: str, year: int | None = None) -> str:
    """Reserve and return the next number.

    Call it inside the transaction that stores the document: the sequence row stays locked until
    that transaction ends, so numbers are gapless and never handed out twice.
    """
    if not agency.doc_prefix:
        raise NumberingError(f"{agency.name} has no document number prefix")
    kind = DocumentKind.objects.filter(code=kind_code).first()
    if kind is None:
        raise NumberingError(f"unknown document kind {kind_code!r}")
    year = year or timezone.localdate().year
    with transaction.atomic():
        DocumentSequence.objects.get_or_create(agency=agency, kind=kind, year=year)
        seq = DocumentSequence.objects.select_for_update().get(agency=agency, kind=kind, year=year)
        seq.last += 1
        seq.save(update_fields=["last"])
    return format_number(agency.doc_prefix, kind.word, year, seq.last, kind.digits)
