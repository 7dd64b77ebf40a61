"""Binance USDT-M account settings: leverage (with its brackets), margin type and position mode.

- `/fapi/v1/leverage`: 1..max; refused with -2027 when the open position is larger than the new
  leverage's bracket allows, and with -4161 when an isolated position would get less leverage.
- `/fapi/v1/marginType` (ISOLATED / CROSSED) per symbol: -4046 "No need to change margin type."
  when it is already that, -4047 / -4048 with open orders / a position.
- `/fapi/v1/positionSide/dual`: the account's position mode (the control API sets hedge mode).
"""

from __future__ import annotations

from .binance_filters import brackets, max_notional
from .binance_http import BinanceError, Call
from .errors import Reject
from .models import FUTURES, HEDGE, fmt

EXCHANGE = "binance"
CROSS, ISOLATED = "cross", "isolated"
NATIVE_MODES = {"CROSSED": CROSS, "ISOLATED": ISOLATED}


def _instrument(call: Call):
    inst = call.sim.engine.find_instrument(EXCHANGE, call.market, call.require("symbol"))
    if inst is None:
        raise BinanceError(-1121, "Invalid symbol.")
    return inst


def margin_mode(account, symbol: str) -> str:
    return account.margin_modes.get(symbol, CROSS)  # Binance's default is cross


async def leverage_bracket(call: Call) -> object:
    insts = [_instrument(call)] if call.get("symbol") else call.sim.engine.instruments(EXCHANGE, FUTURES)
    return [{"symbol": inst.symbol, "notionalCoef": 1.0, "brackets": brackets(inst)} for inst in insts]


async def set_leverage(call: Call) -> object:
    inst = _instrument(call)
    raw = call.require("leverage")
    if not raw.isdigit() or not 1 <= int(raw) <= inst.max_leverage:
        raise BinanceError(-4028, f"Leverage {raw} is not valid")
    leverage, engine, account = int(raw), call.sim.engine, call.account
    position = engine.position(account, inst)
    if position.qty:
        if margin_mode(account, inst.symbol) == ISOLATED and leverage < engine.get_leverage(account, inst):
            raise BinanceError(
                -4161, "Leverage reduction is not supported in Isolated Margin Mode with open positions."
            )
        mark = engine.mark_of(inst) or position.entry_price
        if abs(position.qty) * inst.contract_size * mark > max_notional(inst, leverage):
            raise BinanceError(-2027, "Exceeded the maximum allowable position at current leverage.")
    try:
        engine.set_leverage(account, inst, leverage)
    except Reject:
        raise BinanceError(-4028, f"Leverage {raw} is not valid") from None
    return {
        "leverage": leverage,
        "maxNotionalValue": fmt(max_notional(inst, leverage)),
        "symbol": inst.symbol,
    }


async def set_margin_type(call: Call) -> object:
    inst = _instrument(call)
    raw = (call.require("marginType")).upper()
    if raw not in NATIVE_MODES:
        raise BinanceError(-1116, "Invalid marginType.")
    wanted, account, engine = NATIVE_MODES[raw], call.account, call.sim.engine
    if margin_mode(account, inst.symbol) == wanted:
        raise BinanceError(-4046, "No need to change margin type.")
    if engine.open_orders(account, FUTURES, symbol=inst.symbol):
        raise BinanceError(-4047, "Margin type cannot be changed if there exists open orders.")
    if engine.position(account, inst).qty:
        raise BinanceError(-4048, "Margin type cannot be changed if there exists position.")
    account.margin_modes[inst.symbol] = wanted
    return {"code": 200, "msg": "success"}


async def position_mode(call: Call) -> object:
    return {"dualSidePosition": call.account.position_mode == HEDGE}


def check_position_side(call: Call) -> None:
    """One-way accounts take positionSide BOTH (or none); hedge accounts need LONG / SHORT,
    which the simulator does not trade, so it refuses their orders as Binance refuses a
    one-way order on a hedge account."""
    side = (call.get("positionSide") or "BOTH").upper()
    hedge = call.account.position_mode == HEDGE
    if (side == "BOTH") == hedge:
        raise BinanceError(-4061, "Order's position side does not match user's setting.")
    if hedge:
        raise BinanceError(-4061, "Order's position side does not match user's setting.")
