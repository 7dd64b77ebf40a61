"""Local demo data for `make run`: created in the database on the first run only, and registered
in the exchange simulator on every run (the simulator forgets everything when it stops)."""

import logging
import os
import secrets
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.crypto import CredentialDecryptionError
from accounts.exchange.simulator import simulator_register_account, simulator_set_prices, simulator_wait
from accounts.models import Environment, Exchange, ExchangeAccount
from strategies.models import MarketType, Strategy, StrategyAccount
from webhooks.services import token_create

logger = logging.getLogger(__name__)

ADMIN_USERNAME = "admin"
DEMO_USERNAME = "demo"
WALLET_USDT = Decimal("100000")
BALANCES = {"spot": {"USDT": str(WALLET_USDT)}, "futures": {"USDT": str(WALLET_USDT)}}
ACCOUNTS = [(Exchange.BINANCE, "Binance demo"), (Exchange.BYBIT, "Bybit demo"), (Exchange.OKX, "OKX demo")]
# The names the user's guide uses in its examples, plus one spot strategy.
STRATEGIES = [
    ("test1", MarketType.FUTURES, "The guide's curl examples"),
    ("my_strategy", MarketType.FUTURES, "The guide's JSON examples"),
    ("spot_demo", MarketType.SPOT, "Spot trading demo"),
]
# BTC above the guide's prices: its LIMIT buys (76 000-80 000) rest and its sell stops
# (104 000 / 106 000) wait below the market, as the guide means them to.
START_PRICES = {
    "BTCUSDT": "110000",
    "ETHUSDT": "4000",
    "SOLUSDT": "200",
    "XRPUSDT": "2.5",
    "DOGEUSDT": "0.25",
}
SIMULATOR = Environment.SIMULATOR
ROTATE_HINT = f"A new webhook token at any time: python manage.py rotate_webhook_token {DEMO_USERNAME}"
SATOSHI = Decimal("0.00000001")


def demo_create() -> list[str]:
    """Create the missing demo data, new secrets saved to DEMO_CREDENTIALS_FILE; returns lines to print."""
    path = Path(settings.DEMO_CREDENTIALS_FILE)
    with transaction.atomic():
        created = {**_admin_create(), **_demo_user_create()}
        if created:
            # Inside the transaction: if the file cannot be written, nothing is created and the
            # next run tries again, so a raw token is never lost.
            _credentials_save(path=path, values=created)
    if not created:
        return [
            "Demo data already present; nothing changed.",
            f"Admin password and webhook token: {path}",
            ROTATE_HINT,
        ]
    lines = ["Created the demo data (first run):", *(f"  {key}: {value}" for key, value in created.items())]
    if "Webhook token" in created:
        lines += [
            "  Accounts: " + ", ".join(label for _, label in ACCOUNTS) + " (simulator mode)",
            "  Strategies: test1, my_strategy (FUTURES), spot_demo (SPOT), each on the three accounts",
        ]
    return [*lines, f"Saved to {path} (readable by you only).", ROTATE_HINT]


def demo_register(*, simulator_url: str) -> list[str]:
    """Fund every simulator-mode account and set start prices there; raises SimulatorUnavailable."""
    simulator_wait(simulator_url=simulator_url)
    registered, lines = 0, []
    accounts = ExchangeAccount.objects.filter(environment=SIMULATOR, is_active=True)
    for account in accounts.exclude(api_key_encrypted=""):
        try:
            simulator_register_account(account=account, balances=BALANCES, simulator_url=simulator_url)
        except CredentialDecryptionError:
            # A new .env means a new FIELD_ENCRYPTION_KEY: the old ciphertext is unreadable.
            lines.append(f"  Skipped {account}: credentials unreadable; re-enter them in the admin.")
            continue
        registered += 1
    simulator_set_prices(prices=START_PRICES, simulator_url=simulator_url)
    return [
        f"Simulator {simulator_url}: {registered} simulator-mode accounts registered, "
        f"each with {WALLET_USDT:,} USDT spot and futures; BTC at {START_PRICES['BTCUSDT']} USDT.",
        *lines,
    ]


def _admin_create() -> dict[str, str]:
    User = get_user_model()
    if User.objects.filter(username=ADMIN_USERNAME).exists():
        return {}
    password = secrets.token_urlsafe(12)
    User.objects.create_superuser(username=ADMIN_USERNAME, email="", password=password)
    return {"Admin user": ADMIN_USERNAME, "Admin password": password}


def _demo_user_create() -> dict[str, str]:
    User = get_user_model()
    if User.objects.filter(username=DEMO_USERNAME).exists():
        return {}
    user = User.objects.create_user(username=DEMO_USERNAME)  # no password: it only sends webhooks
    _, raw_token = token_create(owner=user)
    accounts = []
    for exchange, label in ACCOUNTS:
        account = ExchangeAccount(owner=user, label=label, exchange=exchange, environment=SIMULATOR)
        account.set_credentials(
            api_key=secrets.token_hex(32),
            api_secret=secrets.token_hex(32),
            passphrase=secrets.token_urlsafe(12) if exchange == Exchange.OKX else "",
        )
        account.save()
        accounts.append(account)
    for group_name, market_type, description in STRATEGIES:
        strategy = Strategy.objects.create(
            owner=user, group_name=group_name, market_type=market_type, description=description
        )
        for account in accounts:
            StrategyAccount.objects.create(strategy=strategy, account=account)
    for account in accounts:
        _capital_split(account=account)
    logger.info("demo: user %s created with %s accounts", user.pk, len(accounts))
    return {"Webhook user": DEMO_USERNAME, "Webhook token": raw_token}


def _capital_split(*, account) -> None:
    # The funded wallet is known, so no balance call: wallet × weight / the weights of the
    # account's links in the same market (CONTRACT.md "Sizing").
    for market_type in MarketType.values:
        links = list(account.strategy_links.filter(strategy__market_type=market_type))
        total = sum(link.weight for link in links)
        for link in links:
            share = WALLET_USDT * link.weight / total
            link.allocated_capital = share.quantize(SATOSHI, rounding=ROUND_DOWN)
            link.save(update_fields=["allocated_capital", "updated_at"])


def _credentials_save(*, path: Path, values: dict[str, str]) -> None:
    """Merge `values` into the `Key: value` file, which only its owner may read."""
    merged = {}
    if path.exists():
        for line in path.read_text().splitlines():
            key, sep, value = line.partition(": ")
            if sep and not line.startswith("#"):
                merged[key] = value
    merged.update(values)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # O_CREAT's mode only applies to a new file
    with os.fdopen(fd, "w") as fh:
        fh.write("# The local demo's secrets, written by `manage.py bootstrap_demo`. Keep private.\n")
        fh.writelines(f"{key}: {value}\n" for key, value in merged.items())
