"""OKX v5 public market data and account endpoints: instruments, tickers, time, mark price,
balance, positions, leverage and account configuration."""

from __future__ import annotations

from .errors import Reject
from .models import FUTURES, HEDGE
from .okx_account_views import balance_view, position_view
from .okx_http import (
    EXCHANGE,
    Call,
    OkxError,
    empty_param,
    find_inst,
    inst_type_markets,
    margin_mode,
    ms,
    remember_margin_mode,
)
from .okx_views import INST_TYPE, instrument_view, s, ticker_view

INST_TYPES = ("SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION")


def _unknown_instrument() -> OkxError:
    return OkxError("51001", "Instrument ID, Instrument ID code, or Spread ID doesn't exist.")


def _inst_type(call: Call) -> str:
    inst_type = call.require("instType")
    if inst_type not in INST_TYPES:
        raise OkxError("51000", "Parameter instType error")
    return inst_type


# ---- public --------------------------------------------------------------------------------------


async def get_instruments(call: Call) -> list:
    inst_type = _inst_type(call)
    inst_id = call.get("instId")
    return [
        instrument_view(inst)
        for market in inst_type_markets(inst_type)
        for inst in call.engine.instruments(EXCHANGE, market)
        if inst_id in (None, inst.symbol)
    ]


async def get_ticker(call: Call) -> list:
    inst = find_inst(call.sim, call.require("instId"))
    if inst is None:
        raise _unknown_instrument()
    return [ticker_view(inst, call.engine.mark_of(inst), call.now)]


async def get_tickers(call: Call) -> list:
    inst_type = _inst_type(call)
    return [
        ticker_view(inst, call.engine.mark_of(inst), call.now)
        for market in inst_type_markets(inst_type)
        for inst in call.engine.instruments(EXCHANGE, market)
    ]


async def get_time(call: Call) -> list:
    return [{"ts": str(call.now_ms)}]


async def get_mark_price(call: Call) -> list:
    """instType is documented as required; ccxt sends only instId, which OKX accepts."""
    inst_id = call.get("instId")
    inst_type = call.get("instType") if inst_id else _inst_type(call)
    if inst_type is not None and inst_type not in INST_TYPES:
        raise OkxError("51000", "Parameter instType error")
    return [
        {
            "instType": INST_TYPE[inst.market],
            "instId": inst.symbol,
            "markPx": s(call.engine.mark_of(inst)),
            "ts": ms(call.now),
        }
        for market in inst_type_markets(inst_type)
        for inst in call.engine.instruments(EXCHANGE, market)
        if inst_id in (None, inst.symbol)
    ]


async def get_books(call: Call) -> list:
    """One level each side at the mark (the simulator has no order book)."""
    inst = find_inst(call.sim, call.require("instId"))
    if inst is None:
        raise _unknown_instrument()
    level = [s(call.engine.mark_of(inst)), "1000000", "0", "1"]
    return [{"asks": [level], "bids": [level], "ts": ms(call.now)}]


# ---- account -------------------------------------------------------------------------------------


async def get_balance(call: Call) -> list:
    ccy = call.get("ccy")
    currencies = set(ccy.split(",")) if ccy else None
    return [balance_view(call.engine, call.account, call.now, currencies)]


async def get_asset_balances(call: Call) -> list:
    """The funding account: the simulator keeps everything in the trading account."""
    return []


async def get_positions(call: Call) -> list:
    inst_type = call.get("instType")
    if inst_type not in (None, "SWAP", "MARGIN", "FUTURES", "OPTION"):
        raise OkxError("51000", "Parameter instType error")
    wanted = set(call.get("instId").split(",")) if call.get("instId") else None
    result = []
    if inst_type not in (None, "SWAP"):
        return result
    for position in call.engine.positions(EXCHANGE, call.account.api_key):
        if wanted is not None and position.symbol not in wanted:
            continue
        inst = find_inst(call.sim, position.symbol)
        if inst is None:
            continue
        leverage = call.engine.get_leverage(call.account, inst)
        result.append(position_view(call.engine, inst, position, margin_mode(call, inst), leverage))
    return result


def _swap_inst(call: Call):
    inst_id = call.get("instId") if call.body is None else call.body_dict().get("instId")
    if not inst_id:
        raise empty_param("instId")
    inst = find_inst(call.sim, str(inst_id))
    if inst is None:
        raise _unknown_instrument()
    if inst.market != FUTURES:
        raise OkxError("51000", "Parameter instId error")
    return inst


async def post_set_leverage(call: Call) -> list:
    body = call.body_dict()
    mode = body.get("mgnMode")
    if mode in (None, ""):
        raise empty_param("mgnMode")
    if mode not in ("cross", "isolated"):
        raise OkxError("51000", "Parameter mgnMode error")
    if body.get("posSide") not in (None, "", "net"):
        raise OkxError("51000", "Parameter posSide error")
    inst = _swap_inst(call)
    try:
        lever = int(str(body.get("lever", "")).split(".")[0])
    except ValueError:
        raise OkxError("51000", "Parameter lever error") from None
    try:
        call.engine.set_leverage(call.account, inst, lever)
    except Reject:
        raise OkxError("59102", f"Leverage exceeds the maximum leverage {inst.max_leverage}.") from None
    remember_margin_mode(call, inst, mode)
    return [{"instId": inst.symbol, "lever": str(lever), "mgnMode": mode, "posSide": "net"}]


async def get_leverage_info(call: Call) -> list:
    mode = call.require("mgnMode")
    rows = []
    for inst_id in call.require("instId").split(","):
        inst = find_inst(call.sim, inst_id)
        if inst is None:
            raise _unknown_instrument()
        if inst.market != FUTURES:
            raise OkxError("51000", "Parameter instId error")
        rows.append(
            {
                "instId": inst.symbol,
                "mgnMode": mode,
                "posSide": "net",
                "lever": str(call.engine.get_leverage(call.account, inst)),
            }
        )
    return rows


async def get_config(call: Call) -> list:
    return [
        {
            "uid": call.account.api_key,
            "mainUid": call.account.api_key,
            "acctLv": "2",  # Spot and futures mode
            "posMode": "long_short_mode" if call.account.position_mode == HEDGE else "net_mode",
            "autoLoan": False,
            "greeksType": "PA",
            "level": "Lv1",
            "levelTmp": "",
            "ctIsoMode": "automatic",
            "mgnIsoMode": "automatic",
            "roleType": "0",
            "spotRoleType": "0",
            "perm": "read_only,trade",
            "label": "exchange-simulator",
            "ip": "",
            "type": "0",
        }
    ]
