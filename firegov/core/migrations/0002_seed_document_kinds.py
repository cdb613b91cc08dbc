from django.db import migrations

# The usual numbered documents of fire supervision (消防监督执法文书) and the character each carries.
KINDS = [
    ("rectification_order", "责令限期改正通知书", "限"),
    ("reinspection_opinion", "复查意见书", "复"),
    ("inspection_record", "消防监督检查记录", "检"),
    ("immediate_correction", "责令立即改正通知书", "改"),
    ("major_hazard_notice", "重大火灾隐患整改通知书", "重"),
    ("seal_decision", "临时查封决定书", "封"),
]


def seed(apps, schema_editor):
    DocumentKind = apps.get_model("core", "DocumentKind")
    for code, name, word in KINDS:
        DocumentKind.objects.get_or_create(code=code, defaults={"name": name, "word": word})


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
