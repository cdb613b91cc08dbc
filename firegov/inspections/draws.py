"""Random draws (双随机) from the database: freeze the inputs and commit a seed, draw with the pure
kernel (:mod:`firegov.kernels.draw`), store everything needed to re-run it, open the inspections.

``commit`` builds the unit directory, the inspector directory and the rules of the month, stores
them on the Draw, generates the seed, and publishes the SHA-256 digests of the three inputs with the
seed's SHA-256. The seed is kept in the database but not shown until the draw is made (``run``),
which draws from the frozen inputs only, after checking them against the published digests, so that
nobody who learns the seed between the two steps can steer the draw by editing the directories.
``files(draw)`` gives the JSON documents ``firegov draw verify`` takes; ``verify`` re-runs the draw
and also checks the stored inputs and result against what was published at the commit.

Strata with a yearly quota (``"per": "year"``) need to know what the plan's earlier draws of the year
drew: ``commit`` fills the rules' ``drawn_this_year`` in from their published results, so such a
plan's months are committed and drawn in order.
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
# Filled in by commit, never written in a plan.
SYSTEM_RULE_KEYS = ("as_of", "drawn_this_year")

# A starting point for a brigade's plan: the quotas are configuration (the 支队's annual plan), not
# constants; e.g. 济宁高新区 2024 draws ≥10% of crowded key units and ≥5% of other key units a month,
# 保定白沟 ≥20% of the non-key units a year.
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
        {"code": "general", "label": "一般单位", "filter": {}, "ratio": 0.2, "rounding": "ceil", "per": "year"},
    ],
}


def _check(user, plan: DrawPlan) -> None:
    if lc.role_of(user) not in lc.FIRE_LEADERS:
        raise PermissionDenied(_("Your role may not run random draws."))
    require_visible(user, DrawPlan.objects.all(), plan.pk)


def _rules_error(exc: kernel.DrawError) -> ValidationError:
    return ValidationError({"rules": f"{exc.field}: {exc.message_zh}"})


def _input_error(exc: kernel.DrawError) -> ValidationError:
    if exc.source == "rules":
        return _rules_error(exc)
    return ValidationError({exc.source or "inputs": f"{exc.where}: {exc.message_zh}"})


def _yearly(rules: dict) -> list[str]:
    """The codes of the strata with a yearly quota."""
    return [s["code"] for s in rules.get("strata") or () if isinstance(s, dict) and s.get("per") == "year"]


def check_plan_rules(rules, year: int) -> None:
    """The rules of a plan of ``year``, as the draw kernel will read them (also the admin's check)."""
    if not isinstance(rules, dict):
        raise ValidationError({"rules": _("The rules must be a JSON object.")})
    if "drawn_this_year" in rules:
        raise ValidationError({"rules": _("drawn_this_year is filled in at each draw from the plan's earlier "
                                          "draws of the year; leave it out of the plan.")})
    try:
        kernel.check_rules({**rules, "as_of": f"{year}-01-01"})
    except kernel.DrawError as exc:
        raise _rules_error(exc) from exc


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
    check_plan_rules(rules, year)
    if not (name or "").strip():
        raise ValidationError({"name": _("This field is required.")})
    if DrawPlan.objects.filter(agency=agency, year=year).exists():
        raise ValidationError({"year": _("This brigade already has a plan for that year.")})
    return DrawPlan.objects.create(agency=agency, year=year, name=name.strip()[:120], rules=rules,
                                   publish_within_workdays=days)


@transaction.atomic
def commit(user, plan: DrawPlan, period: str) -> Draw:
    """Freeze the inputs of ``period`` (YYYY-MM) of the plan's year, generate a seed, and publish the
    SHA-256 of the seed and of each input."""
    _check(user, plan)
    plan = DrawPlan.objects.select_for_update().get(pk=plan.pk)  # one commit of a plan at a time
    match = PERIOD_RE.match(period if isinstance(period, str) else "")
    if not match or int(match.group(1)) != plan.year:
        raise ValidationError({"period": _("Give a month of the plan's year as YYYY-MM.")})
    if Draw.objects.filter(plan=plan, period=period).exists():
        raise lc.TransitionError(_("This month has already been drawn or committed."), "exists")
    if _yearly(plan.rules):
        _check_order(plan, period)
    units, inspectors, rules = inputs(plan, period)
    try:
        digests = kernel.inputs_sha256(units, inspectors, rules)
    except kernel.DrawError as exc:
        raise _input_error(exc) from exc
    seed = kernel.new_seed()
    return Draw.objects.create(plan=plan, period=period, seed_sha256=kernel.commitment(seed), seed=seed.hex(),
                               committed_by=user, units=units, inspectors=inspectors, rules=rules,
                               inputs_sha256=digests)


def _check_order(plan: DrawPlan, period: str) -> None:
    """A yearly quota counts the year's earlier draws, so they must all be made, and none later."""
    later = Draw.objects.filter(plan=plan, period__gt=period).order_by("period").first()
    if later is not None:
        raise lc.TransitionError(
            _("This plan has yearly quotas, so its months are drawn in order, and %(period)s is already "
              "committed.") % {"period": later.period}, "order")
    pending = Draw.objects.filter(plan=plan, period__lt=period, state=DrawState.COMMITTED).order_by("period").first()
    if pending is not None:
        raise lc.TransitionError(
            _("This plan has yearly quotas, which count the year's earlier draws: make the draw of %(period)s "
              "first.") % {"period": pending.period}, "order")


def inputs(plan: DrawPlan, period: str) -> tuple[list[dict], list[dict], dict]:
    """The unit directory, the inspector directory and the rules of the plan's draw for ``period``."""
    rules = {key: value for key, value in plan.rules.items() if key not in SYSTEM_RULE_KEYS}
    rules["as_of"] = f"{period}-01"
    yearly = _yearly(plan.rules)
    if yearly:
        rules["drawn_this_year"] = drawn_this_year(plan, period, yearly)
    units, inspectors = directories(plan, rules["as_of"])
    return units, inspectors, rules


def drawn_this_year(plan: DrawPlan, period: str, codes: list[str]) -> dict[str, list]:
    """For each code, the units its stratum drew in the plan's earlier draws (the plan is the year's),
    as their published results list them: the assignments that got a team, by period and order."""
    drawn: dict[str, dict] = {code: {} for code in codes}  # code -> unit id -> None, in first-drawn order
    earlier = (Draw.objects.filter(plan=plan, period__lt=period, state=DrawState.DRAWN)
               .order_by("period").values_list("result", flat=True))
    for result in earlier:
        for row in result.get("assignments", []):
            if row["stratum"] in drawn and row["inspectors"]:
                drawn[row["stratum"]].setdefault(row["unit"], None)
    return {code: list(units) for code, units in drawn.items()}


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
    """Make the draw from the inputs frozen at the commit, reveal the seed, open one random inspection
    per drawn unit."""
    draw = Draw.objects.select_for_update(of=("self",)).select_related("plan__agency").get(pk=draw.pk)
    _check(user, draw.plan)
    if draw.state != DrawState.COMMITTED:
        raise lc.TransitionError(_("This draw has already been made."), "drawn")
    written = ["state", "drawn_by", "drawn_at", "result"]
    if draw.inputs_sha256:
        units, inspectors, rules = draw.units, draw.inspectors, draw.rules
    else:  # committed before inputs were frozen at the commit: frozen now, as they were then
        units, inspectors, rules = inputs(draw.plan, draw.period)
        draw.units, draw.inspectors, draw.rules = units, inspectors, rules
        written += ["units", "inspectors", "rules"]
    try:
        result = kernel.draw(bytes.fromhex(draw.seed), units, inspectors, rules)
    except kernel.DrawError as exc:
        raise _input_error(exc) from exc
    if draw.inputs_sha256:
        changed = [name for name, digest in draw.inputs_sha256.items() if result["inputs_sha256"].get(name) != digest]
        if changed:
            raise lc.TransitionError(
                _("The inputs were changed after their digests were published at the commit (%(inputs)s): "
                  "nothing was drawn.") % {"inputs": ", ".join(changed)}, "tampered")
    draw.result = result
    draw.state, draw.drawn_by, draw.drawn_at = DrawState.DRAWN, user, timezone.now()
    draw.save(update_fields=written)  # the last save: Draw.save refuses any change once drawn
    people = {str(p.pk): p for p in User.objects.filter(pk__in=[int(i["id"]) for i in inspectors])}
    found = Unit.objects.in_bulk([int(row["unit"]) for row in result["assignments"]])
    planned = timezone.datetime.strptime(f"{draw.period}-01", "%Y-%m-%d").date()
    for row in result["assignments"]:
        if len(row["inspectors"]) < 2:
            continue  # a shortfall: recorded in the result, no inspection without two inspectors
        unit = found.get(int(row["unit"]))
        team = [people[str(i)] for i in row["inspectors"] if str(i) in people]
        if unit is None or len(team) < len(row["inspectors"]):
            continue  # removed from the database since the commit; the published result still lists it
        assignment = DrawAssignment.objects.create(draw=draw, unit=unit, stratum=row["stratum"], order=row["order"])
        assignment.inspectors.set(team)
        services.create_inspection(user, unit, InspectionKind.RANDOM, inspectors=team, planned_for=planned,
                                   assignment=assignment)
    return draw


def published(draw: Draw) -> dict[str, object]:
    """What the commit published: the seed's SHA-256 and the input digests (none for a draw committed
    before inputs were frozen at the commit)."""
    body: dict[str, object] = {"algorithm": kernel.ALGORITHM, "seed_sha256": draw.seed_sha256}
    if draw.inputs_sha256:
        body["inputs_sha256"] = draw.inputs_sha256
    return body


def files(draw: Draw) -> dict[str, object]:
    """What ``firegov draw verify`` needs (``commitment`` is for its ``--published``): before the draw,
    only what the commit published; the inputs and the seed once the draw is made."""
    if draw.state != DrawState.DRAWN:
        return {"commitment": published(draw)}
    return {"commitment": published(draw), "units": draw.units, "inspectors": draw.inspectors,
            "rules": draw.rules, "result": draw.result}


def verify(draw: Draw) -> dict:
    """Re-run the draw from the stored inputs, and check them and the result against the commitment."""
    if draw.state != DrawState.DRAWN:
        raise lc.TransitionError(_("This draw has not been made yet."), "not_drawn")
    return kernel.verify(draw.result, draw.units, draw.inspectors, draw.rules, published(draw))
