"""Searching units by name, address or credit code, through the bigram table (``UnitBigram``).

``matching(units, term)`` is what the unit filterset (pages, exports, map, API) calls. A term of two
or more characters first narrows the units to those holding its keys (an index lookup), then the
names and addresses are matched as before (``icontains``), so the result is exactly the plain infix
search's; for a word of two Han ideographs the key alone is that match (``bigrams.decides``), which
holds as long as the keys are current (``reindex`` after writes around ``Unit.save()``). A term of
one character is matched without the index. A term made only of the characters a credit code may
contain also matches codes that start with it.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q, QuerySet

from firegov.kernels import bigrams
from firegov.registry.models import Unit, UnitBigram

USCC_CHARACTERS = frozenset("0123456789ABCDEFGHJKLMNPQRTUWXY")  # GB 32100-2015: no I, O, S, V, Z
BATCH = 2000
# A search counts its results up to here ("more than 1,000"), on the page and in the API.
COUNT_CAP = 1000


def unit_keys(name: str, address: str) -> set[str]:
    return bigrams.keys([name, address])


def index_unit(unit: Unit) -> None:
    """Bring the unit's keys in line with its name and address (only the difference is written)."""
    wanted = unit_keys(unit.name, unit.address)
    stored = set(UnitBigram.objects.filter(unit=unit).values_list("bigram", flat=True))
    if stale := stored - wanted:
        UnitBigram.objects.filter(unit=unit, bigram__in=stale).delete()
    if new := wanted - stored:
        UnitBigram.objects.bulk_create([UnitBigram(unit=unit, bigram=k) for k in new], ignore_conflicts=True)


def reindex(units: QuerySet[Unit] | None = None, *, progress=None) -> int:
    """Rebuild the keys of ``units`` (all units by default) after writes that bypass ``Unit.save()``
    (``bulk_create``, raw SQL, a restore). Returns the number of keys written."""
    units = Unit.objects.all() if units is None else units
    written = 0
    rows = units.order_by("pk").values_list("pk", "name", "address")
    batch: list[tuple[int, str, str]] = []

    def flush():
        nonlocal written
        ids = [pk for pk, _n, _a in batch]
        keys = [UnitBigram(unit_id=pk, bigram=k) for pk, name, address in batch for k in unit_keys(name, address)]
        with transaction.atomic():
            UnitBigram.objects.filter(unit_id__in=ids).delete()
            UnitBigram.objects.bulk_create(keys, batch_size=5000)
        written += len(keys)
        if progress:
            progress(len(batch), written)
        batch.clear()

    for row in rows.iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    return written


def matching(units: QuerySet[Unit], term: str) -> QuerySet[Unit]:
    """Units of ``units`` whose name or address contains ``term`` (any case) or whose credit code
    starts with it."""
    term = term.strip()
    if not term:
        return units
    # Two ideographs are found by their key alone. With the infix match beside it, PostgreSQL
    # misjudges how many names hold a common word and reads every unit (about 120 ms for 超市 at
    # 300,000 units, against about 15 ms by the key; docs/benchmarks.md).
    q = Q() if bigrams.decides(term) else Q(name__icontains=term) | Q(address__icontains=term)
    for key in bigrams.probe(term):
        q &= Q(pk__in=UnitBigram.objects.filter(bigram=key).values("unit_id"))
    if set(term.upper()) <= USCC_CHARACTERS:
        q |= Q(uscc__startswith=term.upper())
    return units.filter(q)
