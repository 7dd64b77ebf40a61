"""Margin modes recorded before issue 11 were never sent to the exchange (only the leverage was):
forget them, so that the next opening order on each symbol applies the account's margin mode."""

from django.db import migrations


def forget_margin_modes(apps, schema_editor):
    apps.get_model("accounts", "AccountSymbolSetting").objects.update(margin_mode="")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_connection_check")]

    operations = [migrations.RunPython(forget_margin_modes, migrations.RunPython.noop)]
