"""The database rate limiter's models, moved here from orders with the exchange boundary
(orders/0006). State only: the tables keep their names."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('orders', '0006_moved_models'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='RateLimitBlock',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.CharField(max_length=120, unique=True)),
                        ('until', models.FloatField(help_text='Epoch seconds')),
                    ],
                    options={'db_table': 'orders_ratelimitblock'},
                ),
                migrations.CreateModel(
                    name='RateLimitHit',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.CharField(max_length=120)),
                        ('at', models.FloatField(help_text='Epoch seconds')),
                        ('cost', models.PositiveIntegerField(default=1)),
                    ],
                    options={
                        'db_table': 'orders_ratelimithit',
                        'indexes': [models.Index(fields=['key', 'at'], name='orders_rate_key_71a80b_idx')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
