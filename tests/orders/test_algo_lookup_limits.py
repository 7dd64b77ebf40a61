"""Rate-limit costs of trigger-order look-ups (issue 11, defect 10)."""

from accounts.exchange import ratelimit_rules


def test_okx_algo_look_ups_are_counted_in_their_own_twenty_per_two_seconds_bucket():
    """Defect 10: OKX order-algo / orders-algo-pending allow 20 per 2 s; they were charged 1/60 of
    the plain order look-ups' bucket, so a burst of them reached the exchange's limit unpaced."""
    limits = ratelimit_rules.limits_for(
        exchange="OKX", market_type="FUTURES", account_id=7, action="algo_query", symbol="BTC/USDT:USDT"
    )
    charged = {limit.key: (limit.capacity, limit.window, cost) for limit, cost in limits if cost}
    assert charged == {"okx:acct:7:algo-query:2s": (20, 2, 1)}


def test_exchanges_without_an_algo_bucket_count_trigger_look_ups_as_plain_ones():
    assert not ratelimit_rules.has_action("BINANCE", "FUTURES", "algo_query")
    assert not ratelimit_rules.has_action("BYBIT", "SPOT", "algo_query")
    assert ratelimit_rules.has_action("OKX", "SPOT", "algo_query")
