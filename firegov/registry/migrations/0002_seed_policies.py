from django.db import migrations

POLICIES = [
    {
        "code": "registry-missing-record",
        "name": "重点单位档案缺项提醒 / Key unit record incomplete",
        "steps": [
            {"offset_workdays": -5, "action": "remind", "audience": "unit_managers"},
            {"offset_workdays": -1, "action": "remind", "audience": "unit_managers"},
            {"offset_minutes": 0, "action": "escalate", "audience": "brigade", "repeat_minutes": 7 * 24 * 60},
        ],
    },
]


def seed(apps, schema_editor):
    EscalationPolicy = apps.get_model("core", "EscalationPolicy")
    for policy in POLICIES:
        EscalationPolicy.objects.get_or_create(code=policy["code"], defaults=policy)


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial"), ("core", "0002_seed_document_kinds")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
