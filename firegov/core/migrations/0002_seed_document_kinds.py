from django.db import migrations

from firegov.core.numbering import DEFAULT_KINDS


def seed(apps, schema_editor):
    DocumentKind = apps.get_model("core", "DocumentKind")
    for code, (name, word) in DEFAULT_KINDS.items():
        DocumentKind.objects.get_or_create(code=code, defaults={"name": name, "word": word})


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
