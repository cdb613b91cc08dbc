"""Random draws from the database: commitment first, immutable draw, inspections opened, verifiable."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from firegov.core.lifecycle import TransitionError
from firegov.inspections import draws
from firegov.inspections.models import Draw, DrawPlan, Inspection
from firegov.kernels import draw as kernel
from firegov.kernels.cli_draw import run_draw

RULES = {"inspectors_per_unit": 2, "recuse_last_inspectors": True, "exclude_inspected_within_days": 90,
         "strata": [{"code": "key", "label": "重点单位", "filter": {"key_unit": True}, "count": 1},
                    {"code": "general", "label": "一般单位", "filter": {}, "ratio": 1, "rounding": "ceil"}]}


@pytest.fixture
def plan(city):
    return DrawPlan.objects.create(agency=city.xc_brigade, year=2026, name="薛城区2026年双随机抽查计划", rules=RULES)


def test_commit_hides_the_seed_until_the_draw(city, plan, api_for):
    draw = draws.commit(city.xc_supervisor, plan, "2026-03")
    assert draw.seed_sha256 == kernel.commitment(bytes.fromhex(draw.seed))
    body = api_for(city.xc_supervisor).get(f"/api/draws/{draw.pk}/").json()
    assert body["seed"] is None and body["seed_sha256"] == draw.seed_sha256
    assert draws.files(draw) == {"seed_sha256": draw.seed_sha256}


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
