"""A task list in Excel: export, import with preview, row errors and all-or-nothing, round trip."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from firegov.campaigns.excel import COLUMNS
from firegov.campaigns.models import Campaign, Task
from tests.campaigns.conftest import YEAR

pytestmark = pytest.mark.django_db
HEADERS = [header for _key, header, _required in COLUMNS]


def xlsx(rows, headers=HEADERS):
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("plan.xlsx", out.getvalue())


def upload_then_import(client, campaign, file):
    preview = client.post(f"/campaigns/{campaign.pk}/import/", {"file": file})
    assert preview.status_code == 200
    token = preview.context.get("token")
    return preview, (client.post(f"/campaigns/{campaign.pk}/import/", {"token": token}) if token else None)


@pytest.fixture
def empty(city, api_for):
    body = api_for(city.zhidui).post("/api/campaigns/", {"name": "冬春火灾防控", "starts_on": f"{YEAR}-01-01",
                                                         "ends_on": f"{YEAR}-12-31"}, format="json").json()
    return Campaign.objects.get(pk=body["id"])


def test_a_plan_is_imported_with_its_codes_leads_and_targets(city, empty, client):
    client.force_login(city.zhidui)
    file = xlsx([
        ["1", "人员密集场所排查", "枣庄市消防救援支队", "", f"{YEAR}-12-31", "", ""],
        ["1.1", "学校排查", "枣庄市教育局", "枣庄市卫生健康委员会、薛城区消防救援大队", f"{YEAR}-06-30", "学校隐患整改率",
         f"{YEAR}-06-30=80；{YEAR}-12-31=100"],
        ["1.3", "医院排查", "枣庄市卫生健康委员会", "", None, "", ""],
        ["2", "消防宣传", "枣庄市消防救援支队", "", None, "", ""],
    ])
    preview = client.post(f"/campaigns/{empty.pk}/import/", {"file": file})
    assert not preview.context["errors"] and [r.action for r in preview.context["results"]] == ["insert"] * 4
    assert not Task.objects.filter(campaign=empty).exists()  # the preview changed nothing
    done = client.post(f"/campaigns/{empty.pk}/import/", {"token": preview.context["token"]})
    assert done.status_code == 302
    tasks = {t.code: t for t in empty.tasks.all()}
    assert set(tasks) == {"1", "1.1", "1.3", "2"} and tasks["1.3"].parent == tasks["1"]
    assert tasks["1.1"].lead == city.edu and {a.name for a in tasks["1.1"].cooperating.all()} == {
        "枣庄市卫生健康委员会", "薛城区消防救援大队"}
    target = tasks["1.1"].targets.get()
    assert target.label == "学校隐患整改率" and [s["value"] for s in target.steps] == ["80", "100"]


def test_row_errors_import_nothing(city, empty, client):
    client.force_login(city.zhidui)
    file = xlsx([
        ["1", "人员密集场所排查", "枣庄市消防救援支队", "", None, "", ""],
        ["1.x", "坏编号", "枣庄市消防救援支队", "", None, "", ""],
        ["3.1", "没有上级", "枣庄市消防救援支队", "", None, "", ""],
        ["2", "未知单位", "不存在的局", "", None, "", ""],
        ["4", "超出期限", "枣庄市消防救援支队", "", f"{YEAR + 3}-01-01", "", ""],
        ["5", "目标值写错", "枣庄市消防救援支队", "", None, "整改率", "年底80"],
    ])
    preview, done = upload_then_import(client, empty, file)
    errors = {r.number: r.errors for r in preview.context["results"] if r.errors}
    assert set(errors) == {3, 4, 5, 6, 7}
    assert done is not None and done.status_code == 200  # the confirmation re-checks and refuses
    assert not empty.tasks.exists()
    missing = client.post(f"/campaigns/{empty.pk}/import/", {"file": xlsx([["1", "x"]], headers=["编号", "任务"])})
    assert "牵头单位" in missing.content.decode()


def test_export_and_import_round_trip(city, plan, client):  # noqa: F811
    campaign, top, schools, lanes, hospitals = plan
    client.force_login(city.zhidui)
    exported = client.get(f"/campaigns/{campaign.pk}/plan.xlsx")
    assert exported.status_code == 200
    rows = list(load_workbook(io.BytesIO(exported.content)).active.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS and [r[0] for r in rows[1:]] == ["1", "1.1", "1.2", "2"]
    assert rows[2][3] == "枣庄市卫生健康委员会"  # cooperating on 1.1
    changed = [list(r) for r in rows[1:]]
    changed[2][1] = "消防车通道治理（含老旧小区）"  # rename 1.2
    preview, done = upload_then_import(client, campaign, xlsx(changed))
    assert [r.action for r in preview.context["results"]] == ["update"] * 4 and done.status_code == 302
    lanes.refresh_from_db()
    assert lanes.title == "消防车通道治理（含老旧小区）" and campaign.tasks.count() == 4


def test_only_the_issuer_imports(city, plan, client):  # noqa: F811
    campaign, *_ = plan
    client.force_login(city.xc_supervisor)
    preview, done = upload_then_import(client, campaign, xlsx([["9", "越权", "薛城区消防救援大队", "", None, "", ""]]))
    assert preview.context["errors"] and not campaign.tasks.filter(code="9").exists()
    client.force_login(city.jiaoyu)
    assert client.get(f"/campaigns/{campaign.pk}/import/").status_code == 404  # a department may not
