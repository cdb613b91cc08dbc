"""The campaign tests' shared plan."""

from __future__ import annotations

import pytest
from django.utils import timezone

from firegov.campaigns.models import Campaign, Task

YEAR = timezone.localdate().year


@pytest.fixture
def plan(city, api_for):
    """The detachment's campaign: 1 (lead detachment) with 1.1 (education, health cooperating) and
    1.2 (detachment), and 2 (health)."""
    api = api_for(city.zhidui)
    response = api.post("/api/campaigns/", {
        "name": "消防安全专项整治三年行动", "starts_on": f"{YEAR}-01-01", "ends_on": f"{YEAR}-12-31",
        "phases": [{"name": "动员部署", "starts_on": f"{YEAR}-01-01", "ends_on": f"{YEAR}-02-28"},
                   {"name": "集中攻坚", "starts_on": f"{YEAR}-03-01", "ends_on": f"{YEAR}-12-31"}],
    }, format="json")
    assert response.status_code == 201, response.content
    campaign = Campaign.objects.get(pk=response.json()["id"])

    def task(title, lead, parent=None, **extra):
        body = {"campaign": campaign.pk, "title": title, "lead": lead.pk, "parent": parent, **extra}
        answer = api.post("/api/tasks/", body, format="json")
        assert answer.status_code == 201, answer.content
        return Task.objects.get(pk=answer.json()["id"])

    top = task("火灾隐患排查整治", city.detachment, due_on=f"{YEAR}-12-31")
    schools = task("学校消防安全整治", city.edu, top.pk, cooperating=[city.health.pk], due_on=f"{YEAR}-12-31",
                   milestones=[{"title": "完成排查", "due_on": f"{YEAR}-06-30"}])
    lanes = task("消防车通道治理", city.detachment, top.pk)
    hospitals = task("医院消防安全", city.health)
    return campaign, top, schools, lanes, hospitals

