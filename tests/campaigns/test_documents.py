"""The dispatch sheet and the bulletin, opened back and checked against the data."""

from __future__ import annotations

import io
from datetime import date

import pytest
from docx import Document
from openpyxl import load_workbook

from firegov.campaigns import services
from firegov.campaigns.models import Campaign, CampaignDocument, Task
from tests.campaigns.conftest import YEAR
from tests.campaigns.test_lists import _report

pytestmark = pytest.mark.django_db


@pytest.fixture
def reported(city, plan, api_for):  # noqa: F811
    campaign, *_ = plan
    county = Campaign.objects.get(pk=api_for(city.xc_supervisor).post(
        f"/api/campaigns/{campaign.pk}/derive/", {}, format="json").json()["id"])
    _report(api_for, city.xc_jiaoyu, Task.objects.get(campaign=county, code="1.1"), 60, city.xc_supervisor)
    return campaign, county


def test_the_dispatch_sheet(city, reported, api_for):
    campaign, county = reported
    response = api_for(city.zhidui).get(f"/api/campaigns/{campaign.pk}/dispatch/", {"period": f"{YEAR}-12"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    book = load_workbook(io.BytesIO(response.content))
    tasks = book.worksheets[0]
    rows = {row[0]: row for row in tasks.iter_rows(min_row=4, values_only=True)}
    assert set(rows) == {"1", "1.1", "1.2", "2"}
    assert rows["1.1"][5] == 60.0 and rows["1"][5] == 30.0  # the county's copy, rolled up
    assert rows["1.1"][2] == "枣庄市教育局"
    ranking = list(book.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert {ranking[0][1], ranking[1][1]} == {"枣庄市教育局", "薛城区教育和体育局"} and ranking[0][3] == 60.0
    hazards = {row[0]: row for row in book.worksheets[2].iter_rows(min_row=2, values_only=True)}
    assert set(hazards) == {"薛城区", "滕州市"}
    bad = api_for(city.zhidui).get(f"/api/campaigns/{campaign.pk}/dispatch/", {"period": f"{YEAR}-Q3"})
    assert bad.status_code == 400


def test_the_bulletin_is_reproducible_for_a_past_quarter(city, reported, client):
    campaign, county = reported
    client.force_login(city.zhidui)
    q4 = client.get(f"/campaigns/{campaign.pk}/bulletin.file", {"period": f"{YEAR}-Q4"})
    assert q4.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(q4.content)).paragraphs)
    assert "15.0%" in text  # the top items: 1 at 30 (1.1 at 60, 1.2 at 0) and 2 at 0, equal weights
    assert text.count("1.2 ") == 2  # named laggards: the leaf tasks behind, once per list
    doc = Document(io.BytesIO(q4.content))
    regions = doc.tables[0]
    assert [c.text for c in regions.rows[1].cells][:2] == ["1", "薛城区"]
    agencies = [[c.text for c in row.cells] for row in doc.tables[1].rows[1:]]
    assert {agencies[0][1], agencies[1][1]} == {"枣庄市教育局", "薛城区教育和体育局"}
    assert len(doc.inline_shapes) == 2  # the two charts
    q3 = [client.get(f"/campaigns/{campaign.pk}/bulletin.file", {"period": f"{YEAR}-Q3"}).content for _ in range(2)]
    first, again = (Document(io.BytesIO(data)) for data in q3)
    assert [p.text for p in first.paragraphs] == [p.text for p in again.paragraphs]
    assert "0.0%" in first.tables[1].rows[1].cells[3].text  # accepted after the quarter: not counted then


def test_the_monthly_job_stores_each_document_once(city, reported):
    campaign, county = reported
    assert services.store_periodic_documents(date(YEAR, 10, 1)) == 4  # Sept sheets and Q3 bulletins, both lists
    assert services.store_periodic_documents(date(YEAR, 10, 1)) == 0
    stored = CampaignDocument.objects.get(campaign=campaign, kind="bulletin")
    assert stored.period == f"{YEAR}-Q3" and len(stored.file.sha256) == 64
    assert services.store_periodic_documents(date(YEAR, 11, 1)) == 2  # October's sheets only


def test_the_monthly_job_runs_through_huey_and_twice_changes_nothing(city, reported, settings):
    from firegov.campaigns import tasks

    first = tasks.monthly_documents.call_local()
    assert first["documents"] >= 2 and first["report_deadlines"] >= 1  # last month's sheets, both lists
    again = tasks.monthly_documents.call_local()
    assert again["documents"] == 0


# --------------------------------------------------------------------------- who gets the documents
# The dispatch sheet and the bulletin rank every agency and region on every task of the campaign and of
# the lists derived from it, and count every hazard of its region: they are the issuer's side's (those
# who see the whole campaign). The plan export lists the tasks the user sees, as the task API does.


def _sheet_codes(content, index=0, min_row=2):
    sheet = load_workbook(io.BytesIO(content)).worksheets[index]
    return sorted(str(row[0]) for row in sheet.iter_rows(min_row=min_row, values_only=True))


def _document_urls(campaign):
    return [f"/campaigns/{campaign.pk}/dispatch.file?period={YEAR}-10",
            f"/campaigns/{campaign.pk}/bulletin.file?period={YEAR}-Q3",
            f"/api/campaigns/{campaign.pk}/dispatch/?period={YEAR}-10",
            f"/api/campaigns/{campaign.pk}/bulletin/?period={YEAR}-Q3"]


def test_the_plan_export_lists_only_the_tasks_the_user_sees(city, reported, api_for, client):
    campaign, county = reported
    for user, expected in ((city.jiaoyu, ["1.1"]), (city.zhidui, ["1", "1.1", "1.2", "2"])):
        visible = sorted(t["code"] for t in api_for(user).get("/api/tasks/", {"campaign": campaign.pk})
                         .json()["results"])
        client.force_login(user)
        response = client.get(f"/campaigns/{campaign.pk}/plan.xlsx")
        assert response.status_code == 200
        assert _sheet_codes(response.content) == visible == expected


@pytest.mark.parametrize("who", ["jiaoyu", "tengzhou"])
def test_the_period_documents_are_404_for_who_sees_part_of_the_campaign(city, reported, api_for, client, who):
    """A city department (its own tasks, its own sector) and a county looking at its city's campaign
    (it cannot see 薛城区's derived list nor its hazards) get 404, on the pages and in the API."""
    campaign, county = reported
    user = getattr(city, who)
    assert api_for(user).get(f"/api/campaigns/{campaign.pk}/").status_code == 200  # the campaign is visible
    services.store_periodic_documents(date(YEAR, 10, 1))
    stored = CampaignDocument.objects.filter(campaign=campaign)
    assert stored.count() == 2
    client.force_login(user)
    api = api_for(user)
    for url in _document_urls(campaign):
        answer = (api if url.startswith("/api/") else client).get(url)
        assert answer.status_code == 404, url
    for document in stored:
        assert client.get(f"/campaigns/{campaign.pk}/documents/{document.pk}/").status_code == 404
    page = client.get(f"/campaigns/{campaign.pk}/", {"tab": "documents"}).content.decode()
    assert "dispatch.file" not in page and "bulletin.file" not in page and "/documents/" not in page
    assert "?tab=documents" not in client.get(f"/campaigns/{campaign.pk}/").content.decode()


def test_the_county_gets_the_documents_of_its_own_list_and_the_issuer_of_the_city_list(city, reported, api_for,
                                                                                       client):
    campaign, county = reported
    for user, which in ((city.xc_supervisor, county), (city.zhidui, campaign), (city.admin, campaign)):
        client.force_login(user)
        for url in _document_urls(which):
            answer = (api_for(user) if url.startswith("/api/") else client).get(url)
            assert answer.status_code == 200, (user.username, url)
        assert "dispatch.file" in client.get(f"/campaigns/{which.pk}/", {"tab": "documents"}).content.decode()
    services.store_periodic_documents(date(YEAR, 10, 1))
    client.force_login(city.xc_supervisor)
    mine = CampaignDocument.objects.filter(campaign=county).first()
    assert client.get(f"/campaigns/{county.pk}/documents/{mine.pk}/").status_code == 200
    theirs = CampaignDocument.objects.filter(campaign=campaign).first()
    assert client.get(f"/campaigns/{campaign.pk}/documents/{theirs.pk}/").status_code == 404
