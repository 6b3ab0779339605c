"""Load the shipped plan library (emergency kinds and three plans communities copy and edit)."""

from django.db import migrations


def load(apps, schema_editor):
    from shequ.emergency import library

    library.load(apps)


class Migration(migrations.Migration):
    dependencies = [("emergency", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
