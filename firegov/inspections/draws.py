"""Random draws (双随机) from the database: commit a seed, build the directories, draw with the pure
kernel (:mod:`firegov.kernels.draw`), store everything needed to re-run it, open the inspections.

The seed is generated and its SHA-256 published (``commit``) before the draw; the seed itself is kept
in the database but not shown until the draw is made (``run``), which also freezes the directories
and rules it used. ``files(draw)`` gives the four JSON documents ``firegov draw verify`` takes.
"""

from __future__ import annotations

import json
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from firegov.core import lifecycle as lc
from firegov.core.models import Role, User
from firegov.core.scoping import require_visible, scope, subtree_q
from firegov.inspections import services
from firegov.inspections.models import (
    Draw,
    DrawAssignment,
    DrawPlan,
    DrawState,
    Inspection,
    InspectionKind,
    InspectionStatus,
    Recusal,
)
from firegov.kernels import draw as kernel
from firegov.registry.models import Unit, UnitStatus

PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

# A starting point for a brigade's plan: the quotas are configuration (the 支队's annual plan), not
# constants; e.g. 济宁高新区 2024 draws ≥10% of crowded key units and ≥5% of other key units a month.
EXAMPLE_RULES = {
    "inspectors_per_unit": 2,
    "recuse_last_inspectors": True,
    "exclude_inspected_within_days": 90,
    "max_units_per_inspector": None,
    "strata": [
        {"code": "crowded_key", "label": "人员密集场所重点单位", "filter": {"key_unit": True, "crowded": True},
         "ratio": 0.1, "rounding": "ceil"},
        {"code": "other_key", "label": "其他重点单位", "filter": {"key_unit": True}, "ratio": 0.05, "rounding": "ceil"},
        {"code": "penalised", "label": "上年度受处罚单位", "filter": {"penalised_last_year": True}, "count": 2},
        {"code": "general", "label": "一般单位", "filter": {}, "ratio": 0.02, "rounding": "ceil"},
    ],
}


def _check(user, plan: DrawPlan) -> None:
    if lc.role_of(user) not in lc.FIRE_LEADERS:
        raise PermissionDenied(_("Your role may not run random draws."))
    require_visible(user, DrawPlan.objects.all(), plan.pk)


def _rules_error(exc: kernel.DrawError) -> ValidationError:
    return ValidationError({"rules": f"{exc.field}: {exc.message_zh}"})


@transaction.atomic
def create_plan(user, agency_id, year, name: str, rules_text: str, publish_within_workdays=20) -> DrawPlan:
    """A brigade's annual plan; the rules are checked by the draw kernel before they are stored."""
    if lc.role_of(user) not in lc.FIRE_LEADERS:
        raise PermissionDenied(_("Your role may not run random draws."))
    from firegov.core.models import Agency, AgencyKind

    agency = scope(user, Agency.objects.filter(kind=AgencyKind.BRIGADE)).filter(pk=agency_id or 0).first() \
        if str(agency_id or "").isdigit() else None
    if agency is None:
        raise ValidationError({"agency": _("Choose a brigade in your jurisdiction.")})
    try:
        year = int(year)
        days = int(publish_within_workdays)
    except (TypeError, ValueError):
        raise ValidationError({"year": _("Enter a whole number.")}) from None
    try:
        rules = json.loads(rules_text) if isinstance(rules_text, str) else rules_text
    except ValueError as exc:
        raise ValidationError({"rules": _("The rules are not valid JSON: %(error)s") % {"error": exc}}) from exc
    if not isinstance(rules, dict):
        raise ValidationError({"rules": _("The rules must be a JSON object.")})
    try:
        kernel.check_rules({**rules, "as_of": f"{year}-01-01"})
    except kernel.DrawError as exc:
        raise _rules_error(exc) from exc
    if not (name or "").strip():
        raise ValidationError({"name": _("This field is required.")})
    if DrawPlan.objects.filter(agency=agency, year=year).exists():
        raise ValidationError({"year": _("This brigade already has a plan for that year.")})
    return DrawPlan.objects.create(agency=agency, year=year, name=name.strip()[:120], rules=rules,
                                   publish_within_workdays=days)


@transaction.atomic
def commit(user, plan: DrawPlan, period: str) -> Draw:
    """Generate a seed and publish its SHA-256 for ``period`` (YYYY-MM) of the plan's year."""
    _check(user, plan)
    match = PERIOD_RE.match(period or "")
    if not match or int(match.group(1)) != plan.year:
        raise ValidationError({"period": _("Give a month of the plan's year as YYYY-MM.")})
    if Draw.objects.filter(plan=plan, period=period).exists():
        raise lc.TransitionError(_("This month has already been drawn or committed."), "exists")
    try:
        kernel.check_rules({**plan.rules, "as_of": f"{period}-01"})
    except kernel.DrawError as exc:
        raise _rules_error(exc) from exc
    seed = kernel.new_seed()
    return Draw.objects.create(plan=plan, period=period, seed_sha256=kernel.commitment(seed), seed=seed.hex(),
                               committed_by=user)


def directories(plan: DrawPlan, as_of) -> tuple[list[dict], list[dict]]:
    """The unit directory (检查对象名录库) and inspector directory (执法检查人员名录库) of the plan's brigade."""
    units = Unit.objects.alive().filter(subtree_q("region_path", plan.region_path), status=UnitStatus.OPERATING)
    last: dict[int, tuple[int, object]] = {}  # unit -> (inspection, completed_at) of its latest inspection
    done = (Inspection.objects.filter(unit__in=units, status=InspectionStatus.COMPLETED)
            .order_by("unit_id", "-completed_at", "-pk").values_list("unit_id", "pk", "completed_at"))
    for unit_id, pk, at in done.iterator(chunk_size=5000):
        last.setdefault(unit_id, (pk, at))
    team_of: dict[int, list[str]] = {}
    through = Inspection.inspectors.through.objects.filter(inspection_id__in=[pk for pk, _at in last.values()])
    for inspection_id, user_id in through.values_list("inspection_id", "user_id").iterator(chunk_size=5000):
        team_of.setdefault(inspection_id, []).append(str(user_id))
    last_done = {unit_id: at for unit_id, (_pk, at) in last.items()}
    last_team = {unit_id: sorted(team_of.get(pk, [])) for unit_id, (pk, _at) in last.items()}
    unit_rows = [
        {"id": str(u.pk), "region": u.region_path, "place_type": u.place_type, "key_unit": u.key_unit,
         "crowded": u.crowded_place, "penalised_last_year": bool((u.attributes or {}).get("penalised_last_year")),
         "last_inspected": timezone.localtime(last_done[u.pk]).date().isoformat() if u.pk in last_done else None,
         "last_inspectors": last_team.get(u.pk, [])}
        for u in units.order_by("pk").only("pk", "region_path", "place_type", "key_unit", "crowded_place",
                                           "attributes")
    ]
    people = User.objects.filter(agency=plan.agency, role__in=[Role.INSPECTOR, Role.BRIGADE_SUPERVISOR])
    recusals: dict[int, dict[str, list[str]]] = {}
    for r in Recusal.objects.filter(inspector__in=people):
        recusals.setdefault(r.inspector_id, {"conflict": [], "relative": []})[r.reason].append(str(r.unit_id))
    inspector_rows = [
        {"id": str(p.pk), "name": p.get_full_name() or p.username, "available": p.is_active,
         "conflicts": recusals.get(p.pk, {}).get("conflict", []),
         "relatives_units": recusals.get(p.pk, {}).get("relative", [])}
        for p in people.order_by("pk")
    ]
    return unit_rows, inspector_rows


@transaction.atomic
def run(user, draw: Draw) -> Draw:
    """Make the draw: freeze the inputs, reveal the seed, open one random inspection per drawn unit."""
    draw = Draw.objects.select_for_update(of=("self",)).select_related("plan__agency").get(pk=draw.pk)
    _check(user, draw.plan)
    if draw.state != DrawState.COMMITTED:
        raise lc.TransitionError(_("This draw has already been made."), "drawn")
    rules = {**draw.plan.rules, "as_of": f"{draw.period}-01"}
    units, inspectors = directories(draw.plan, rules["as_of"])
    try:
        result = kernel.draw(bytes.fromhex(draw.seed), units, inspectors, rules)
    except kernel.DrawError as exc:
        raise _rules_error(exc) from exc
    draw.units, draw.inspectors, draw.rules, draw.result = units, inspectors, rules, result
    draw.state, draw.drawn_by, draw.drawn_at = DrawState.DRAWN, user, timezone.now()
    draw.save()  # the last save: Draw.save refuses any change once the state is "drawn"
    people = {str(p.pk): p for p in User.objects.filter(pk__in=[int(i["id"]) for i in inspectors])}
    planned = timezone.datetime.strptime(f"{draw.period}-01", "%Y-%m-%d").date()
    for row in result["assignments"]:
        if len(row["inspectors"]) < 2:
            continue  # a shortfall: recorded in the result, no inspection without two inspectors
        unit = Unit.objects.get(pk=int(row["unit"]))
        assignment = DrawAssignment.objects.create(draw=draw, unit=unit, stratum=row["stratum"], order=row["order"])
        team = [people[str(i)] for i in row["inspectors"]]
        assignment.inspectors.set(team)
        services.create_inspection(user, unit, InspectionKind.RANDOM, inspectors=team, planned_for=planned,
                                   assignment=assignment)
    return draw


def files(draw: Draw) -> dict[str, object]:
    """What ``firegov draw verify`` needs; the seed only once the draw is made."""
    if draw.state != DrawState.DRAWN:
        return {"seed_sha256": draw.seed_sha256}
    return {"units": draw.units, "inspectors": draw.inspectors, "rules": draw.rules, "result": draw.result}


def verify(draw: Draw) -> dict:
    if draw.state != DrawState.DRAWN:
        raise lc.TransitionError(_("This draw has not been made yet."), "not_drawn")
    return kernel.verify(draw.result, draw.units, draw.inspectors, draw.rules)
