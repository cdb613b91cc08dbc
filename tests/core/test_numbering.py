"""Document numbers: 枣薛消限字〔2026〕第0001号, per agency, per kind, per year, gapless."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from firegov.core.models import Agency, AgencyKind, DocumentKind, DocumentSequence, Region
from firegov.core.numbering import NumberingError, format_number, next_number

SEEDED = {
    "rectification_order": "限",
    "reinspection_opinion": "复",
    "inspection_record": "检",
    "immediate_correction": "改",
    "major_hazard_notice": "重",
    "seal_decision": "封",
}


def test_format_number():
    assert format_number("枣薛消", "限", 2026, 1, 4) == "枣薛消限字〔2026〕第0001号"
    assert format_number("枣消", "复", 2027, 123, 3) == "枣消复字〔2027〕第123号"
    assert format_number("枣消", "复", 2027, 12345, 4) == "枣消复字〔2027〕第12345号"  # never truncated


def test_document_kinds_are_seeded(db):
    assert {k.code: k.word for k in DocumentKind.objects.all()}.items() >= SEEDED.items()
    assert all(k.digits == 4 for k in DocumentKind.objects.filter(code__in=SEEDED))


def test_default_kind_is_stored_on_first_use(city):
    DocumentKind.objects.filter(code="reinspection_opinion").delete()  # as after a flush
    assert next_number(city.xc_brigade, "reinspection_opinion", 2026) == "枣薛消复字〔2026〕第0001号"
    assert DocumentKind.objects.get(code="reinspection_opinion").name == "复查意见书"


def test_numbers_count_up(city):
    assert next_number(city.xc_brigade, "rectification_order", 2026) == "枣薛消限字〔2026〕第0001号"
    assert next_number(city.xc_brigade, "rectification_order", 2026) == "枣薛消限字〔2026〕第0002号"
    assert next_number(city.xc_brigade, "rectification_order", 2026) == "枣薛消限字〔2026〕第0003号"


def test_sequences_are_independent_per_agency_kind_and_year(city):
    assert next_number(city.xc_brigade, "rectification_order", 2026) == "枣薛消限字〔2026〕第0001号"
    assert next_number(city.xc_brigade, "rectification_order", 2026) == "枣薛消限字〔2026〕第0002号"
    # another agency
    assert next_number(city.tz_brigade, "rectification_order", 2026) == "枣滕消限字〔2026〕第0001号"
    assert next_number(city.detachment, "rectification_order", 2026) == "枣消限字〔2026〕第0001号"
    # another kind
    assert next_number(city.xc_brigade, "reinspection_opinion", 2026) == "枣薛消复字〔2026〕第0001号"
    assert next_number(city.xc_brigade, "seal_decision", 2026) == "枣薛消封字〔2026〕第0001号"
    # another year
    assert next_number(city.xc_brigade, "rectification_order", 2027) == "枣薛消限字〔2027〕第0001号"
    assert next_number(city.xc_brigade, "rectification_order", 2025) == "枣薛消限字〔2025〕第0001号"
    # and the first one went on where it was
    assert next_number(city.xc_brigade, "rectification_order", 2026) == "枣薛消限字〔2026〕第0003号"
    assert next_number(city.tz_brigade, "reinspection_opinion", 2027) == "枣滕消复字〔2027〕第0001号"
    assert DocumentSequence.objects.get(agency=city.xc_brigade, kind__code="rectification_order",
                                        year=2026).last == 3


def test_year_defaults_to_the_local_year(city):
    year = timezone.localdate().year
    assert next_number(city.xc_brigade, "inspection_record") == f"枣薛消检字〔{year}〕第0001号"
    assert next_number(city.xc_brigade, "inspection_record", year) == f"枣薛消检字〔{year}〕第0002号"


def test_kind_digits_are_honoured(city):
    DocumentKind.objects.create(code="fire_cause", name="火灾事故认定书", word="认", digits=6)
    assert next_number(city.xc_brigade, "fire_cause", 2026) == "枣薛消认字〔2026〕第000001号"


def test_agency_without_prefix_is_an_error(city):
    assert city.edu.doc_prefix == ""
    with pytest.raises(NumberingError, match="枣庄市教育局 has no document number prefix"):
        next_number(city.edu, "rectification_order", 2026)
    assert not DocumentSequence.objects.exists()


def test_unknown_kind_is_an_error(city):
    with pytest.raises(NumberingError, match="unknown document kind 'parking_ticket'"):
        next_number(city.xc_brigade, "parking_ticket", 2026)
    assert not DocumentSequence.objects.exists()


def test_number_of_a_rolled_back_document_is_reused(city):
    """Gapless: a number is only consumed when the transaction storing the document commits."""
    assert next_number(city.xc_brigade, "rectification_order", 2026).endswith("第0001号")
    with pytest.raises(RuntimeError), transaction.atomic():
        assert next_number(city.xc_brigade, "rectification_order", 2026).endswith("第0002号")
        raise RuntimeError("storing the document failed")
    assert next_number(city.xc_brigade, "rectification_order", 2026).endswith("第0002号")


THREADS, PER_THREAD = 8, 25


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_numbers_are_distinct_and_gapless():
    if connection.vendor != "postgresql":
        pytest.skip("row locks (SELECT … FOR UPDATE) are a PostgreSQL matter; SQLite serialises all writers")
    region = Region.objects.create(name="薛城区", level="county", path="370403", code="370403")
    agency = Agency.objects.create(name="薛城区消防救援大队", kind=AgencyKind.BRIGADE, region=region,
                                   doc_prefix="枣薛消")
    numbers, errors = [], []
    start = threading.Barrier(THREADS)

    def work():
        try:
            start.wait()
            for _ in range(PER_THREAD):
                number = next_number(agency, "rectification_order", 2026)
                numbers.append(number)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert len(numbers) == THREADS * PER_THREAD
    seqs = sorted(int(re.fullmatch(r"枣薛消限字〔2026〕第(\d{4})号", n).group(1)) for n in numbers)
    assert seqs == list(range(1, THREADS * PER_THREAD + 1))
    assert DocumentSequence.objects.get(agency=agency).last == THREADS * PER_THREAD
