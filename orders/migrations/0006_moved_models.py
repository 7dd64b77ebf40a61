"""Position moves here from strategies (its only writer is orders.positions); the rate limiter's
models move to accounts with the exchange boundary. State only: the tables keep their names."""

from decimal import Decimal

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0005_schedules'),
        ('strategies', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='RateLimitBlock'),
                migrations.DeleteModel(name='RateLimitHit'),
                migrations.CreateModel(
                    name='Position',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('symbol', models.CharField(help_text='Unified symbol, e.g. BTC/USDT:USDT', max_length=40)),
                        ('quantity', models.DecimalField(decimal_places=12, default=Decimal('0'), help_text='Signed: positive is long, negative is short.', max_digits=28)),
                        ('entry_price', models.DecimalField(blank=True, decimal_places=12, max_digits=28, null=True)),
                        ('realized_pnl', models.DecimalField(decimal_places=12, default=Decimal('0'), max_digits=28)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('link', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='positions', to='strategies.strategyaccount')),
                    ],
                    options={
                        'db_table': 'strategies_position',
                        'ordering': ['link_id', 'symbol'],
                        'constraints': [models.UniqueConstraint(fields=('link', 'symbol'), name='position_unique_per_link_symbol')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
