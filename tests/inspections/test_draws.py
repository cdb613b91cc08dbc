"""Random draws from the database: commitment first, immutable draw, inspections opened, verifiable."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet

from firegov.core.lifecycle import TransitionError
from firegov.inspections import draws
from firegov.inspections.models import Draw, DrawPlan, Inspection, Recusal
from firegov.kernels import draw as kernel
from firegov.kernels.cli_draw import run_draw
from tests.conftest import make_unit

RULES = {"inspectors_per_unit": 2, "recuse_last_inspectors": True, "exclude_inspected_within_days": 90,
         "strata": [{"code": "key", "label": "重点单位", "filter": {"key_unit": True}, "count": 1},
                    {"code": "general", "label": "一般单位", "filter": {}, "ratio": 1, "rounding": "ceil"}]}


@pytest.fixture
def plan(city):
    return DrawPlan.objects.create(agency=city.xc_brigade, year=2026, name="薛城区2026年双随机抽查计划", rules=RULES)


def test_commit_hides_the_seed_until_the_draw(city, plan, api_for, client):
    draw = draws.commit(city.xc_supervisor, plan, "2026-03")
    assert draw.seed_sha256 == kernel.commitment(bytes.fromhex(draw.seed))
    body = api_for(city.xc_supervisor).get(f"/api/draws/{draw.pk}/").json()
    assert body["seed"] is None and body["seed_sha256"] == draw.seed_sha256
    assert body["inputs_sha256"] == draw.inputs_sha256
    published = {"algorithm": kernel.ALGORITHM, "seed_sha256": draw.seed_sha256,
                 "inputs_sha256": draw.inputs_sha256}
    assert draws.files(draw) == {"commitment": published}
    assert api_for(city.xc_supervisor).get(f"/api/draws/{draw.pk}/files/").json() == {"commitment": published}
    page = client.get(f"/public/draws/{draw.pk}/").content.decode()
    assert draw.seed not in page
    assert all(digest in page for digest in draw.inputs_sha256.values())
    assert client.get(f"/public/draws/{draw.pk}/?file=units").status_code == 404
    assert client.get(f"/public/draws/{draw.pk}/?file=commitment").json() == published


def test_commit_freezes_the_inputs_and_publishes_their_digests(city, plan):
    draw = draws.commit(city.xc_supervisor, plan, "2026-03")
    assert sorted(u["id"] for u in draw.units) == sorted([str(city.xc_hotel.pk), str(city.xc_school.pk)])
    assert {i["id"] for i in draw.inspectors} == {str(city.xuecheng.pk), str(city.xc_supervisor.pk)}
    assert draw.rules == {**RULES, "as_of": "2026-03-01"}
    assert draw.inputs_sha256 == kernel.inputs_sha256(draw.units, draw.inspectors, draw.rules)
    # The directory changes after the commit: a new unit, a new recusal. The draw does not see them.
    late = make_unit(city.xc_grid, "薛城新开饭店")
    Recusal.objects.create(inspector=city.xuecheng, unit=city.xc_hotel, reason="conflict")
    draw = draws.run(city.xc_supervisor, draw)
    assert draw.result["inputs_sha256"] == draw.inputs_sha256
    assert str(late.pk) not in {a["unit"] for a in draw.result["assignments"]}
    assert draw.result["recusals"]["conflict"] == 0
    assert draws.verify(draw)["ok"] is True


def test_run_refuses_inputs_changed_after_the_commit(city, plan):
    draw = draws.commit(city.xc_supervisor, plan, "2026-03")
    tampered = [u for u in draw.units if u["id"] != str(city.xc_hotel.pk)]
    QuerySet.update(Draw.objects.filter(pk=draw.pk), units=tampered)  # behind the model's back, as SQL would
    with pytest.raises(TransitionError) as refused:
        draws.run(city.xc_supervisor, draw)
    assert refused.value.code == "tampered" and "units" in refused.value.message
    draw.refresh_from_db()
    assert draw.state == "committed" and not Inspection.objects.filter(assignment__draw=draw).exists()


def test_verify_reports_inputs_changed_after_the_commit(city, plan, api_for, client):
    draw = draws.run(city.xc_supervisor, draws.commit(city.xc_supervisor, plan, "2026-03"))
    # Someone drops a unit from the stored directory and stores a consistent re-run with it.
    units = [u for u in draw.units if u["id"] != str(city.xc_hotel.pk)]
    result = kernel.draw(bytes.fromhex(draw.seed), units, draw.inspectors, draw.rules)
    QuerySet.update(Draw.objects.filter(pk=draw.pk), units=units, result=result)
    draw.refresh_from_db()
    assert kernel.verify(draw.result, draw.units, draw.inspectors, draw.rules)["ok"] is True  # alone, it re-runs
    report = draws.verify(draw)
    assert report["ok"] is False
    assert [(p["code"], p["field"], p["source"]) for p in report["problems"]] == [
        ("published", "published.inputs_sha256.units", "units")]
    assert api_for(city.xc_supervisor).get(f"/api/draws/{draw.pk}/verify/").json()["ok"] is False
    page = client.get(f"/public/draws/{draw.pk}/").content.decode()
    assert "✘" in page and "单位名录在抽取前公布摘要之后被改动过" in page


def test_a_draw_committed_before_inputs_were_frozen_is_drawn_from_the_inputs_at_the_draw(city, plan, client):
    seed = kernel.new_seed()
    legacy = Draw.objects.create(plan=plan, period="2026-02", seed_sha256=kernel.commitment(seed), seed=seed.hex(),
                                 committed_by=city.xc_supervisor)  # as the migration leaves such a draw
    assert legacy.inputs_sha256 == {} and legacy.units == []
    draw = draws.run(city.xc_supervisor, legacy)
    assert len(draw.units) == 2 and draw.rules == {**RULES, "as_of": "2026-02-01"}
    assert draw.inputs_sha256 == {} and len(draw.result["assignments"]) == 2
    assert draws.verify(draw)["ok"] is True
    assert draws.files(draw)["commitment"] == {"algorithm": kernel.ALGORITHM, "seed_sha256": draw.seed_sha256}
    page = client.get(f"/public/draws/{draw.pk}/").content.decode()
    assert draw.result["inputs_sha256"]["units"] in page and "✔" in page


def test_a_committed_draw_keeps_what_its_commit_fixed(city, plan):
    draw = draws.commit(city.xc_supervisor, plan, "2026-03")
    for field, value in [("units", []), ("rules", {**RULES, "as_of": "2026-03-01", "inspectors_per_unit": 3}),
                         ("seed", "00" * 32), ("inputs_sha256", {}), ("period", "2026-04")]:
        changed = Draw.objects.get(pk=draw.pk)
        setattr(changed, field, value)
        with pytest.raises(ValueError, match=field):
            changed.save()
    with pytest.raises(ValueError):
        Draw.objects.filter(pk=draw.pk).update(units=[])
    with pytest.raises(ValueError):
        Draw.objects.filter(pk=draw.pk).delete()
    assert Draw.objects.get(pk=draw.pk).units == draw.units
    draws.run(city.xc_supervisor, draw)  # the draw itself still saves
    assert Draw.objects.get(pk=draw.pk).state == "drawn"


def test_the_verify_command_checks_what_was_published(city, plan, api_for, tmp_path):
    draw = draws.run(city.xc_supervisor, draws.commit(city.xc_supervisor, plan, "2026-03"))
    files = api_for(city.xc_supervisor).get(f"/api/draws/{draw.pk}/files/").json()
    assert set(files) == {"commitment", "units", "inspectors", "rules", "result"}
    for name, value in files.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    args = ["verify", "--result", str(tmp_path / "result.json"), "--units", str(tmp_path / "units.json"),
            "--inspectors", str(tmp_path / "inspectors.json"), "--rules", str(tmp_path / "rules.json"),
            "--published", str(tmp_path / "commitment.json")]
    out = io.StringIO()
    assert run_draw(args, io.StringIO(), out, io.StringIO()) == 0, out.getvalue()
    # Inputs and result replaced together re-run fine; only the published digest catches them.
    units = files["units"][1:]
    result = kernel.draw(bytes.fromhex(files["result"]["seed"]), units, files["inspectors"], files["rules"])
    (tmp_path / "units.json").write_text(json.dumps(units), encoding="utf-8")
    (tmp_path / "result.json").write_text(json.dumps(result), encoding="utf-8")
    out = io.StringIO()
    assert run_draw(args, io.StringIO(), out, io.StringIO()) == 1
    assert "[published] published.inputs_sha256.units" in out.getvalue()
    assert run_draw(args[:-2], io.StringIO(), io.StringIO(), io.StringIO()) == 0


def test_the_draw_opens_random_inspections_and_verifies(city, plan, api_for, tmp_path):
    draw = draws.run(city.xc_supervisor, draws.commit(city.xc_supervisor, plan, "2026-03"))
    inspections = Inspection.objects.filter(assignment__draw=draw)
    assert inspections.count() == len(draw.result["assignments"]) == 2  # the two 薛城 units
    assert all(i.kind == "random" and i.inspectors.count() == 2 for i in inspections)
    assert draws.verify(draw)["ok"] is True
    files = api_for(city.xc_supervisor).get(f"/api/draws/{draw.pk}/files/").json()
    for name, value in files.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    args = ["verify", "--result", str(tmp_path / "result.json"), "--units", str(tmp_path / "units.json"),
            "--inspectors", str(tmp_path / "inspectors.json"), "--rules", str(tmp_path / "rules.json")]
    out, err = io.StringIO(), io.StringIO()
    assert run_draw(args, io.StringIO(), out, err) == 0, err.getvalue()
    files["result"]["assignments"][0]["inspectors"].reverse()
    files["result"]["assignments"][0]["inspectors"][0] = "999"
    (tmp_path / "result.json").write_text(json.dumps(files["result"]), encoding="utf-8")
    assert run_draw(args, io.StringIO(), io.StringIO(), io.StringIO()) == 1


def test_a_draw_is_made_once_and_never_changed(city, plan):
    draw = draws.run(city.xc_supervisor, draws.commit(city.xc_supervisor, plan, "2026-04"))
    with pytest.raises(TransitionError):
        draws.run(city.xc_supervisor, draw)
    draw.result = {}
    with pytest.raises(ValueError):
        draw.save()
    with pytest.raises(ValueError):
        Draw.objects.get(pk=draw.pk).delete()
    with pytest.raises(TransitionError):
        draws.commit(city.xc_supervisor, plan, "2026-04")


def test_only_brigade_leaders_of_the_plan_draw(city, plan):
    with pytest.raises(PermissionDenied):
        draws.commit(city.xuecheng, plan, "2026-05")
    with pytest.raises(PermissionDenied):
        draws.commit(city.tengzhou, plan, "2026-05")
    with pytest.raises(ValidationError):
        draws.commit(city.xc_supervisor, plan, "2025-05")  # not the plan's year


def test_plan_and_draw_pages(city, plan, client):
    client.force_login(city.xc_supervisor)
    response = client.post(f"/inspections/draws/plans/{plan.pk}/", {"period": "2026-06"})
    draw = Draw.objects.get(plan=plan, period="2026-06")
    assert response.status_code == 302 and response["Location"].endswith(f"/inspections/draws/{draw.pk}/")
    page = client.get(f"/inspections/draws/{draw.pk}/").content.decode()
    assert draw.seed_sha256 in page and draw.seed not in page  # not revealed before the draw
    assert client.post(f"/inspections/draws/{draw.pk}/").status_code == 302
    draw.refresh_from_db()
    page = client.get(f"/public/draws/{draw.pk}/").content.decode()
    assert draw.seed in page and "✔" in page
    result = client.get(f"/public/draws/{draw.pk}/?file=result")
    assert result.json()["seed_sha256"] == draw.seed_sha256
    client.force_login(city.tengzhou)
    assert client.get(f"/inspections/draws/{draw.pk}/").status_code == 404


def test_a_plan_is_created_from_checked_rules(city, client):
    client.force_login(city.xc_supervisor)
    bad = client.post("/inspections/draws/", {"agency": city.xc_brigade.pk, "year": 2027, "name": "计划",
                                              "rules": json.dumps({"strata": [], "inspectors_per_unit": 1})})
    assert bad.status_code == 200 and not DrawPlan.objects.exists()
    good = client.post("/inspections/draws/", {"agency": city.xc_brigade.pk, "year": 2027, "name": "计划",
                                               "rules": json.dumps(draws.EXAMPLE_RULES)})
    assert good.status_code == 302 and DrawPlan.objects.get().rules == draws.EXAMPLE_RULES
    client.force_login(city.xuecheng)  # an inspector does not plan
    assert client.post("/inspections/draws/", {"agency": city.xc_brigade.pk, "year": 2028, "name": "x",
                                               "rules": "{}"}).status_code == 200
    assert DrawPlan.objects.count() == 1


# --------------------------------------------------------------------------- yearly quotas

YEARLY = {"inspectors_per_unit": 2, "recuse_last_inspectors": False,
          "strata": [{"code": "general", "label": "一般单位", "filter": {}, "ratio": 0.5, "per": "year"}]}


@pytest.fixture
def yearly_plan(city):
    for n in range(10):  # with the hotel and the school, 12 薛城 units: 6 a year
        make_unit(city.xc_grid, f"薛城饭店{n}")
    return DrawPlan.objects.create(agency=city.xc_brigade, year=2026, name="按年配额", rules=YEARLY)


def test_a_yearly_quota_is_spread_over_the_months_left_without_repeats(city, yearly_plan):
    made = []
    for period in ("2026-10", "2026-11", "2026-12"):  # the plan starts late: 3 months for 6 units
        made.append(draws.run(city.xc_supervisor, draws.commit(city.xc_supervisor, yearly_plan, period)))
    summaries = [d.result["strata"][0] for d in made]
    assert [(s["year_quota"], s["drawn_before"], s["months_left"], s["quota"], s["drawn"]) for s in summaries] == [
        (6, 0, 3, 2, 2), (6, 2, 2, 2, 2), (6, 4, 1, 2, 2)]
    drawn = [a["unit"] for d in made for a in d.result["assignments"]]
    assert len(drawn) == len(set(drawn)) == 6
    assert made[0].rules["drawn_this_year"] == {"general": []}
    assert made[2].rules["drawn_this_year"] == {"general": drawn[:4]}
    assert summaries[2]["exclusions"] == {"inspected_recently": 0, "drawn_this_year": 4}
    assert all(draws.verify(d)["ok"] for d in made)
    assert Inspection.objects.filter(assignment__draw__plan=yearly_plan).count() == 6


def test_only_units_that_got_a_team_count_as_drawn_this_year(city, yearly_plan):
    hotel, school = str(city.xc_hotel.pk), str(city.xc_school.pk)
    Draw.objects.create(plan=yearly_plan, period="2026-01", seed_sha256="0" * 64, seed="00" * 32,
                        committed_by=city.xc_supervisor, state="drawn", result={"assignments": [
                            {"order": 1, "unit": hotel, "stratum": "general", "inspectors": ["1", "2"]},
                            {"order": 2, "unit": school, "stratum": "general", "inspectors": []},
                            {"order": 3, "unit": "999", "stratum": "gone", "inspectors": ["1", "2"]}]})
    draw = draws.commit(city.xc_supervisor, yearly_plan, "2026-02")
    assert draw.rules["drawn_this_year"] == {"general": [hotel]}
    draw = draws.run(city.xc_supervisor, draw)
    assert hotel not in {a["unit"] for a in draw.result["assignments"]}
    assert draw.result["strata"][0]["quota"] == 1  # ceil((6 - 1) / 11)


def test_months_of_a_yearly_plan_are_committed_in_order(city, yearly_plan):
    october = draws.commit(city.xc_supervisor, yearly_plan, "2026-10")
    with pytest.raises(TransitionError) as refused:
        draws.commit(city.xc_supervisor, yearly_plan, "2026-11")  # October is not drawn yet
    assert refused.value.code == "order" and "2026-10" in refused.value.message
    draws.run(city.xc_supervisor, october)
    draws.commit(city.xc_supervisor, yearly_plan, "2026-12")
    with pytest.raises(TransitionError) as refused:
        draws.commit(city.xc_supervisor, yearly_plan, "2026-11")  # December is already committed
    assert refused.value.code == "order" and "2026-12" in refused.value.message
    # A plan with monthly quotas only takes its months in any order.
    plan = DrawPlan.objects.create(agency=city.xc_brigade, year=2027, name="按月配额", rules=RULES)
    draws.commit(city.xc_supervisor, plan, "2027-11")
    draws.commit(city.xc_supervisor, plan, "2027-10")
    assert plan.draws.count() == 2


@pytest.mark.parametrize(("rules", "words"), [
    ({**YEARLY, "drawn_this_year": {"general": []}}, "drawn_this_year"),
    ({"strata": [{"code": "general", "filter": {}, "ratio": 0.5, "per": "quarter"}]}, "per: 未知的配额周期"),
])
def test_a_plan_may_not_carry_what_the_draws_fill_in_nor_an_unknown_period(city, rules, words):
    with pytest.raises(ValidationError) as refused:
        draws.create_plan(city.xc_supervisor, city.xc_brigade.pk, 2027, "计划", json.dumps(rules))
    assert words in str(refused.value.message_dict["rules"])
    assert not DrawPlan.objects.exists()


def test_the_admin_checks_a_plans_rules_as_the_page_does(city, plan, client):
    """Correcting a plan in the admin goes through the draw kernel's check: bad rules and a plan of
    another kind of agency are refused with the reason, and the stored plan is kept."""
    client.force_login(city.admin)
    url = f"/admin/inspections/drawplan/{plan.pk}/change/"
    assert client.get(url).status_code == 200
    form = {"agency": plan.agency_id, "year": plan.year, "name": plan.name, "publish_within_workdays": 20}
    bad = {"strata": [{"code": "general", "filter": {}, "ratio": 0.5, "per": "quarter"}]}
    answer = client.post(url, {**form, "rules": json.dumps(bad)})
    assert answer.status_code == 200 and "per: 未知的配额周期" in answer.content.decode()
    answer = client.post(url, {**form, "agency": city.edu.pk, "rules": json.dumps(plan.rules)})
    assert answer.status_code == 200 and "agency" in answer.context["adminform"].form.errors
    kept = DrawPlan.objects.get(pk=plan.pk)
    assert (kept.rules, kept.agency_id) == (plan.rules, city.xc_brigade.pk)
    fixed = {**plan.rules, "inspectors_per_unit": 3}
    assert client.post(url, {**form, "rules": json.dumps(fixed)}).status_code == 302
    assert DrawPlan.objects.get(pk=plan.pk).rules == fixed


def test_a_drawn_assignment_is_neither_changed_nor_deleted(city, plan):
    draw = draws.run(city.xc_supervisor, draws.commit(city.xc_supervisor, plan, "2026-03"))
    assignment = draw.assignments.first()
    assignment.stratum = "key"
    with pytest.raises(ValueError, match="never changes"):
        assignment.save()
    with pytest.raises(ValueError, match="never deleted"):
        assignment.delete()
    assert draws.verify(draw)["ok"]
