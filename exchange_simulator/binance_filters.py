"""Binance order filters beyond price/lot/notional, checked before the engine sees an order:
PERCENT_PRICE_BY_SIDE (spot) and PERCENT_PRICE (USDT-M) bands, MARKET_LOT_SIZE, and the USDT-M
leverage brackets (the largest position notional a leverage allows, -2027).

The numbers are the ones exchangeInfo and /fapi/v1/leverageBracket publish (binance_markets.py,
`brackets` below), so a client that reads them can stay inside them.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_UP, Decimal

from .binance_http import BinanceError
from .engine import Engine
from .models import FUTURES, MARKET, SPOT, STOP_MARKET, Account, Instrument, OrderRequest, fmt

# exchangeInfo's PERCENT_PRICE_BY_SIDE (spot, against the average price) and PERCENT_PRICE
# (USDT-M, against the mark price).
SPOT_BID_UP, SPOT_BID_DOWN = Decimal("5"), Decimal("0.2")
SPOT_ASK_UP, SPOT_ASK_DOWN = Decimal("5"), Decimal("0.2")
FUTURES_UP, FUTURES_DOWN = Decimal("1.0500"), Decimal("0.9500")

MARKET_LOT_SIZE = BinanceError(-1013, "Filter failure: MARKET_LOT_SIZE")
PERCENT_PRICE_BY_SIDE = BinanceError(-1013, "Filter failure: PERCENT_PRICE_BY_SIDE")
BRACKET_EXCEEDED = BinanceError(-2027, "Exceeded the maximum allowable position at current leverage.")


def brackets(inst: Instrument) -> list[dict]:
    """The symbol's notional brackets, lowest first: each caps the position notional
    (`notionalCap`) for leverages up to its `initialLeverage`. From the data file's
    `extra.brackets`, or a three-step default scaled to the symbol's maximum leverage."""
    if inst.extra.get("brackets"):
        return inst.extra["brackets"]
    top = inst.max_leverage
    return [
        {"bracket": 1, "initialLeverage": top, "notionalCap": 50000, "notionalFloor": 0,
         "maintMarginRatio": 0.004, "cum": 0.0},
        {"bracket": 2, "initialLeverage": max(1, top // 2), "notionalCap": 1000000,
         "notionalFloor": 50000, "maintMarginRatio": 0.01, "cum": 300.0},
        {"bracket": 3, "initialLeverage": 1, "notionalCap": 100000000,
         "notionalFloor": 1000000, "maintMarginRatio": 0.5, "cum": 490300.0},
    ]  # fmt: skip


def max_notional(inst: Instrument, leverage: int) -> Decimal:
    """The largest position notional `leverage` allows: the cap of the highest bracket whose
    initial leverage is at least `leverage`."""
    caps = [Decimal(str(b["notionalCap"])) for b in brackets(inst) if b["initialLeverage"] >= leverage]
    return max(caps, default=Decimal(0))


def market_max_qty(inst: Instrument) -> Decimal | None:
    raw = inst.extra.get("market_max_qty")
    return None if raw is None else Decimal(str(raw))


def check_order(engine: Engine, account: Account, inst: Instrument, req: OrderRequest) -> None:
    """Raise the BinanceError Binance answers for `req`, if any of these filters refuses it."""
    mark = engine.mark_of(inst)
    if req.type in (MARKET, STOP_MARKET) and req.quantity is not None:
        top = market_max_qty(inst)
        if top is not None and req.quantity > top:
            if inst.market == SPOT:
                raise MARKET_LOT_SIZE
            raise BinanceError(-4005, "Quantity greater than max quantity.")
    # The bands judge a limit price against today's price; a stop's limit price is judged when
    # it fires, when the price is near its trigger, so stops are left to that moment.
    if req.price is not None and req.trigger_price is None and mark:
        _check_band(inst, req.side, req.price, mark)
    if inst.market == FUTURES and not req.reduce_only and req.quantity is not None:
        _check_bracket(engine, account, inst, req, mark)


def _check_band(inst: Instrument, side: str, price: Decimal, mark: Decimal) -> None:
    if inst.market == SPOT:
        up, down = (SPOT_BID_UP, SPOT_BID_DOWN) if side == "buy" else (SPOT_ASK_UP, SPOT_ASK_DOWN)
        if price > mark * up or price < mark * down:
            raise PERCENT_PRICE_BY_SIDE
        return
    # USDT-M: a buy no higher than mark x multiplierUp, a sell no lower than mark x multiplierDown.
    if side == "buy" and price > mark * FUTURES_UP:
        cap = (mark * FUTURES_UP / inst.tick_size).to_integral_value(ROUND_DOWN) * inst.tick_size
        raise BinanceError(-4016, f"Limit price can't be higher than {fmt(cap)}.")
    if side == "sell" and price < mark * FUTURES_DOWN:
        floor = (mark * FUTURES_DOWN / inst.tick_size).to_integral_value(ROUND_UP) * inst.tick_size
        raise BinanceError(-4024, f"Limit price can't be lower than {fmt(floor)}.")


def _check_bracket(
    engine: Engine, account: Account, inst: Instrument, req: OrderRequest, mark: Decimal | None
) -> None:
    price = req.price or req.trigger_price or mark
    if not price:
        return
    position = engine.position(account, inst).qty
    after = position + (req.quantity if req.side == "buy" else -req.quantity)
    if abs(after) <= abs(position):
        return  # the order only reduces the position
    leverage = engine.get_leverage(account, inst)
    if abs(after) * inst.contract_size * price > max_notional(inst, leverage):
        raise BRACKET_EXCEEDED
