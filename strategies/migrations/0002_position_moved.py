"""Position now belongs to orders (orders/0006); its table stays. State only."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('strategies', '0001_initial'),
        ('orders', '0006_moved_models'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='Position')],
            database_operations=[],
        ),
    ]
