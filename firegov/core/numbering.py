"""Document numbers per agency, per kind, per year: 枣薛消限字〔2026〕第0001号."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from firegov.core.models import DocumentKind, DocumentSequence

# The usual numbered documents of fire supervision (消防监督执法文书) and the character each carries.
DEFAULT_KINDS = {
    "rectification_order": ("责令限期改正通知书", "限"),
    "reinspection_opinion": ("复查意见书", "复"),
    "inspection_record": ("消防监督检查记录", "检"),
    "immediate_correction": ("责令立即改正通知书", "改"),
    "major_hazard_notice": ("重大火灾隐患整改通知书", "重"),
    "seal_decision": ("临时查封决定书", "封"),
}


class NumberingError(ValueError):
    pass


def document_kind(code: str) -> DocumentKind:
    kind = DocumentKind.objects.filter(code=code).first()
    if kind is None and code in DEFAULT_KINDS:
        name, word = DEFAULT_KINDS[code]
        kind, _created = DocumentKind.objects.get_or_create(code=code, defaults={"name": name, "word": word})
    if kind is None:
        raise NumberingError(f"unknown document kind {code!r}")
    return kind


def format_number(prefix: str, word: str, year: int, seq: int, digits: int) -> str:
    return f"{prefix}{word}字〔{year}〕第{seq:0{digits}d}号"


def next_number(agency, kind_code: str, year: int | None = None) -> str:
    """Reserve and return the next number.

    Call it inside the transaction that stores the document: the sequence row stays locked until
    that transaction ends, so numbers are gapless and never handed out twice.
    """
    if not agency.doc_prefix:
        raise NumberingError(f"{agency.name} has no document number prefix")
    kind = document_kind(kind_code)
    year = year or timezone.localdate().year
    with transaction.atomic():
        DocumentSequence.objects.get_or_create(agency=agency, kind=kind, year=year)
        seq = DocumentSequence.objects.select_for_update().get(agency=agency, kind=kind, year=year)
        seq.last += 1
        seq.save(update_fields=["last"])
    return format_number(agency.doc_prefix, kind.word, year, seq.last, kind.digits)
