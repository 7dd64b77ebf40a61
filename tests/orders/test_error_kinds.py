"""Error kinds: Python's classification (what the dashboard counts) and the SQL filter (where its
link leads) put every error in the same one kind."""

import pytest

from orders.error_kinds import KINDS, OTHER, error_kind, error_kind_q
from orders.models import Order
from tests import factories

SAMPLES = {
    '인증 실패: AuthenticationError: binance {"code":-2015}': "auth",
    "거래소 응답 없음, 상태 미확인: RateLimitExceeded: bybit": "rate_limit",
    'InsufficientFunds: bybit {"retCode":110007}': "funds",
    "거래소 응답 없음, 상태 미확인: RequestTimeout: okx": "unknown",
    "거래소에 도달하지 않은 주문입니다 (client id로 확인)": "not_reached",
    "거래소 클라이언트를 만들 수 없습니다: InvalidToken": "not_reached",
    'InvalidOrder: okx {"sCode":"51008"}': "refused",
    "최소 주문 금액 미달: 5 USDT 필요": "other",
}


def test_every_sample_has_the_expected_kind():
    assert {text: error_kind(text) for text in SAMPLES} == SAMPLES
    assert error_kind("") is None


@pytest.mark.parametrize("kind", [key for key, _label, _pattern in KINDS] + [OTHER[0]])
def test_the_sql_filter_finds_exactly_the_orders_python_counts(kind, db):
    owner = factories.user("kinds")
    account = factories.account(owner)
    strategy = factories.strategy(owner)
    for index, text in enumerate([*SAMPLES, ""]):
        Order.objects.create(
            strategy=strategy,
            account=account,
            client_order_id=f"K{index}",
            symbol="BTC/USDT:USDT",
            market_type="FUTURES",
            side="buy",
            order_type="LIMIT",
            status="REJECTED",
            error=text,
        )
    found = set(Order.objects.filter(error_kind_q(kind)).values_list("error", flat=True))
    assert found == {text for text, expected in SAMPLES.items() if expected == kind}
