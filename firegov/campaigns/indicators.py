"""The registry of indicators firegov computes from its own data, for campaign targets (量化指标).

Each indicator answers "what was the value on day D in region R since the campaign began", from
timestamps only, so a value is the same whenever it is recomputed for a past day:

* hazards found: found from the campaign's start to D, less those declared invalid by D;
* hazards rectified: of those, closed out or corrected on the spot by D;
* closing rate: rectified / found, in percent;
* major hazards listed for supervision by D (挂牌督办);
* units inspected: distinct units with an inspection completed from the start to D;
* share of units inspected: of the live units on D (optionally one classification, e.g. key
  units), the share with such an inspection, in percent. A unit's classification is today's: the
  registry keeps no dated history of it.

Parameters narrow the count: ``sector`` (an industry's units), ``category`` (one hazard category),
``classification`` (a unit flag such as ``key_unit``). Indicators the data cannot give (people
trained, old communities renovated, lane markings painted: these records carry no dates) are
reported by hand with evidence; a target without an indicator code is such a manual one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firegov.core.models import Sector
from firegov.core.scoping import subtree_q
from firegov.hazards import categories
from firegov.hazards.models import CaseStatus, Hazard, HazardEvent, MajorHazardCase
from firegov.inspections.models import Inspection, InspectionStatus
from firegov.registry.models import CLASSIFICATION_FLAGS, Unit

PARAMS = {"sector": dict(Sector.choices), "classification": dict(CLASSIFICATION_FLAGS), "category": None}


@dataclass(frozen=True)
class Where:
    """The part of the data an indicator counts: a region subtree, from a day, optionally narrowed."""

    region_path: str
    since: date
    params: dict


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    percent: bool
    params: tuple[str, ...]
    compute: Callable[[Where, date, dict | None], Decimal]


def day_end(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _hazards_found(where: Where, on: date):
    hazards = Hazard.objects.filter(subtree_q("region_path", where.region_path),
                                    found_at__gte=day_start(where.since), found_at__lte=day_end(on))
    if where.params.get("sector"):
        hazards = hazards.filter(sector=where.params["sector"])
    if where.params.get("category"):
        hazards = hazards.filter(category=where.params["category"])
    invalidated = HazardEvent.objects.filter(action="invalidate", at__lte=day_end(on)).values("hazard_id")
    return hazards.exclude(pk__in=invalidated)


def _rate(part: int, whole: int) -> Decimal:
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1")) if whole else Decimal(0)


def _by_path(where: Where, on: date, memo: dict | None) -> dict[str, tuple[int, int]]:
    """Hazards found and rectified by exact region path, in one scan (the ``hz_count`` index covers
    it). Totals and subdivisions are sums of these rows, so a document that asks for a region's
    total and for its subdivisions on the same day scans the ledger once (``memo``)."""
    key = ("hazards-by-path", where.region_path, where.since, on, tuple(sorted(where.params.items())))
    if memo is not None and key in memo:
        return memo[key]
    rows = (_hazards_found(where, on).values("region_path")
            .annotate(found=Count("id"), rectified=Count("id", filter=Q(closed_at__lte=day_end(on))))
            .values_list("region_path", "found", "rectified"))
    result = {path: (found, rectified) for path, found, rectified in rows}
    if memo is not None:
        memo[key] = result
    return result


def _counted(where: Where, on: date, memo: dict | None = None) -> dict:
    rows = _by_path(where, on, memo).values()
    return {"found": sum(r[0] for r in rows), "rectified": sum(r[1] for r in rows)}


def hazards_found(where: Where, on: date, memo: dict | None = None) -> Decimal:
    return Decimal(_counted(where, on, memo)["found"])


def hazards_rectified(where: Where, on: date, memo: dict | None = None) -> Decimal:
    return Decimal(_counted(where, on, memo)["rectified"])


def closing_rate(where: Where, on: date, memo: dict | None = None) -> Decimal:
    counts = _counted(where, on, memo)
    return _rate(counts["rectified"], counts["found"])


def hazard_counts(region_path: str, since: date, on: date, memo: dict | None = None) -> dict:
    """Hazards found, rectified and the closing rate over a region."""
    counts = _counted(Where(region_path, since, {}), on, memo)
    return {**counts, "rate": _rate(counts["rectified"], counts["found"])}


def hazards_by_subdivision(region_path: str, width: int, since: date, on: date,
                           memo: dict | None = None) -> dict[str, dict]:
    """Found and rectified by subdivision (the first ``width`` characters of the path), as the
    indicators count them, folded from the same per-path rows as the region's total."""
    folded: dict[str, list[int]] = {}
    for path, (found, rectified) in _by_path(Where(region_path, since, {}), on, memo).items():
        if len(path) >= width:
            entry = folded.setdefault(path[:width], [0, 0])
            entry[0] += found
            entry[1] += rectified
    return {prefix: {"found": found, "rectified": rectified, "rate": _rate(rectified, found)}
            for prefix, (found, rectified) in folded.items()}


def major_listed(where: Where, on: date, memo: dict | None = None) -> Decimal:
    cases = MajorHazardCase.objects.filter(subtree_q("region_path", where.region_path),
                                           listed_at__gte=day_start(where.since), listed_at__lte=day_end(on))
    return Decimal(cases.exclude(status=CaseStatus.REJECTED).count())


def _units(where: Where, on: date):
    units = Unit.objects.filter(subtree_q("region_path", where.region_path), created_at__lte=day_end(on)).filter(
        Q(deleted_at__isnull=True) | Q(deleted_at__gt=day_end(on)))
    if where.params.get("sector"):
        units = units.filter(sector=where.params["sector"])
    if where.params.get("classification"):
        units = units.filter(**{where.params["classification"]: True})
    return units


def _inspected(where: Where, on: date):
    return Inspection.objects.filter(status=InspectionStatus.COMPLETED, completed_at__gte=day_start(where.since),
                                     completed_at__lte=day_end(on)).values("unit_id")


def units_inspected(where: Where, on: date, memo: dict | None = None) -> Decimal:
    return Decimal(_units(where, on).filter(pk__in=_inspected(where, on)).count())


def units_inspected_share(where: Where, on: date, memo: dict | None = None) -> Decimal:
    units = _units(where, on)
    return _rate(units.filter(pk__in=_inspected(where, on)).count(), units.count())


INDICATORS: dict[str, Indicator] = {i.code: i for i in [
    Indicator("hazards_found", _("Hazards found"), False, ("sector", "category"), hazards_found),
    Indicator("hazards_rectified", _("Hazards rectified"), False, ("sector", "category"), hazards_rectified),
    Indicator("closing_rate", _("Hazard closing rate"), True, ("sector", "category"), closing_rate),
    Indicator("major_listed", _("Major hazards listed for supervision"), False, (), major_listed),
    Indicator("units_inspected", _("Units inspected"), False, ("sector", "classification"), units_inspected),
    Indicator("units_inspected_share", _("Share of units inspected"), True, ("sector", "classification"),
              units_inspected_share),
]}


def check_params(code: str, params: dict) -> dict:
    """The parameters of indicator ``code``, checked; ValueError names the first bad one."""
    indicator = INDICATORS.get(code)
    if indicator is None:
        raise ValueError(f"unknown indicator {code!r}")
    if not isinstance(params or {}, dict):
        raise ValueError("the parameters are an object of names and values")
    clean = {}
    for key, value in (params or {}).items():
        if key not in indicator.params:
            raise ValueError(f"indicator {code} takes no parameter {key!r}")
        if not isinstance(value, str) or not value:
            raise ValueError(f"{key} must be a non-empty string")
        allowed = PARAMS[key]
        if (key == "category" and not categories.exists(value)) or (allowed is not None and value not in allowed):
            raise ValueError(f"unknown {key} {value!r}")
        clean[key] = value
    return clean


def value(code: str, region_path: str, since: date, on: date, params: dict | None = None,
          memo: dict | None = None) -> Decimal:
    """The indicator's value. ``memo`` (a dict kept for one document or page) answers a repeated
    question without asking the database again: many targets count over the same region."""
    params = check_params(code, params or {})
    key = (code, region_path, since, on, tuple(sorted(params.items())))
    if memo is not None and key in memo:
        return memo[key]
    result = INDICATORS[code].compute(Where(region_path, since, params), on, memo)
    if memo is not None:
        memo[key] = result
    return result
