"""Bybit v5 account, balance, position and leverage endpoints.

Accounts are unified trading accounts (UTA 2.0): one `UNIFIED` wallet for spot and linear. The
engine keeps a spot and a futures wallet per account; the UNIFIED wallet reported here is their sum
per coin (spot orders still draw on the spot wallet, linear orders on the futures wallet).
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from .bybit_http import EXCHANGE, BybitError, Call, now_ms, params_error
from .bybit_market import instrument_of, missing_scope, plain
from .errors import Reject
from .models import FUTURES, HEDGE, SPOT, ZERO, Account, Instrument, Position, fmt

# Maintenance margin rate of the first risk-limit tier (BTCUSDT), used for positionMM.
MAINTENANCE_RATE = Decimal("0.005")


def user_id(api_key: str) -> int:
    return 100_000_000 + int(hashlib.sha256(api_key.encode()).hexdigest()[:8], 16) % 900_000_000


async def query_api(call: Call) -> object:
    key = call.account.api_key
    return {
        "id": str(user_id(key) % 100_000_000),
        "note": "exchange simulator",
        "apiKey": key,
        "readOnly": 0,
        "secret": "",
        "permissions": {
            "ContractTrade": ["Order", "Position"],
            "Spot": ["SpotTrade"],
            "Wallet": ["AccountTransfer", "SubMemberTransfer"],
            "Options": ["OptionsTrade"],
            "Derivatives": [],
            "CopyTrading": [],
            "BlockTrade": [],
            "Exchange": [],
            "NFT": [],
            "Affiliate": [],
            "Earn": [],
        },
        "ips": ["*"],
        "type": 1,
        "deadlineDay": -1,
        "expiredAt": "",
        "createdAt": "2024-01-01T00:00:00Z",
        "unified": 0,
        "uta": 1,
        "userID": user_id(key),
        "inviterID": 0,
        "vipLevel": "No VIP",
        "mktMakerLevel": "0",
        "affiliateID": 0,
        "rsaPublicKey": "",
        "isMaster": True,
        "parentUid": "0",
        "kycLevel": "LEVEL_DEFAULT",
        "kycRegion": "",
    }


async def account_info(call: Call) -> object:
    return {
        "marginMode": "REGULAR_MARGIN",
        "updatedTime": "1704067200000",
        "unifiedMarginStatus": 5,  # UTA 2.0
        "dcpStatus": "OFF",
        "timeWindow": 10,
        "smpGroup": 0,
        "isMasterTrader": False,
        "spotHedgingStatus": "OFF",
    }


def _coin_row(call: Call, account: Account, coin: str, positions: list[Position]) -> dict:
    engine = call.sim.engine
    spot = account.balance(SPOT, coin)
    futures = account.balance(FUTURES, coin)
    position_im = sum((p.margin for p in positions), ZERO)
    upl = sum((engine.unrealized_pnl(p) for p in positions), ZERO)
    realised = sum((p.realized_pnl for p in positions), ZERO)
    wallet = spot.total + futures.total
    return {
        "coin": coin,
        "equity": fmt(wallet + upl),
        "usdValue": fmt(wallet + upl) if coin in ("USDT", "USDC") else "0",
        "walletBalance": fmt(wallet),
        "free": "",
        "locked": fmt(spot.locked),
        "spotHedgingQty": "0",
        "borrowAmount": "0",
        "availableToBorrow": "",
        "availableToWithdraw": "",  # deprecated for UTA: ccxt then derives `free` from the margins
        "accruedInterest": "0",
        "totalOrderIM": fmt(max(ZERO, futures.locked - position_im)),
        "totalPositionIM": fmt(position_im),
        "totalPositionMM": fmt(sum((abs(p.qty) * p.entry_price * MAINTENANCE_RATE for p in positions), ZERO)),
        "unrealisedPnl": fmt(upl),
        "cumRealisedPnl": fmt(realised),
        "bonus": "0",
        "marginCollateral": True,
        "collateralSwitch": True,
    }


async def wallet_balance(call: Call) -> object:
    account_type = call.require("accountType")
    if account_type != "UNIFIED":
        raise BybitError(10001, "accountType only support UNIFIED.")
    account = call.account
    engine = call.sim.engine
    coins = sorted({asset for wallet in account.wallets.values() for asset in wallet})
    wanted = call.get("coin")
    if wanted is not None:
        coins = [c for c in coins if c in wanted.split(",")]
    open_positions = engine.positions(EXCHANGE, account.api_key)
    rows = []
    for coin in coins:
        positions = [p for p in open_positions if _settle_of(call, p) == coin]
        rows.append(_coin_row(call, account, coin, positions))
    usd = [r for r in rows if r["coin"] in ("USDT", "USDC")]
    total_wallet = sum((Decimal(r["walletBalance"]) for r in usd), ZERO)
    total_upl = sum((Decimal(r["unrealisedPnl"]) for r in usd), ZERO)
    initial = sum((Decimal(r["totalPositionIM"]) + Decimal(r["totalOrderIM"]) for r in usd), ZERO)
    maintenance = sum((Decimal(r["totalPositionMM"]) for r in usd), ZERO)
    equity = total_wallet + total_upl
    return {
        "list": [
            {
                "accountType": "UNIFIED",
                "accountIMRate": fmt(initial / equity) if equity > 0 else "0",
                "accountMMRate": fmt(maintenance / equity) if equity > 0 else "0",
                "accountLTV": "0",
                "totalEquity": fmt(equity),
                "totalWalletBalance": fmt(total_wallet),
                "totalMarginBalance": fmt(equity),
                "totalAvailableBalance": fmt(equity - initial),
                "totalPerpUPL": fmt(total_upl),
                "totalInitialMargin": fmt(initial),
                "totalMaintenanceMargin": fmt(maintenance),
                "coin": rows,
            }
        ]
    }


def _settle_of(call: Call, position: Position) -> str | None:
    inst = call.sim.engine.find_instrument(EXCHANGE, FUTURES, position.symbol)
    return inst.settle if inst else None


# ---- positions and leverage ---------------------------------------------------------------------


def _linear_only(call: Call) -> None:
    if call.category() != "linear":
        raise params_error("category only support linear or option or inverse")


def _position_row(call: Call, inst: Instrument, position: Position) -> dict:
    engine = call.sim.engine
    mark = engine.mark_of(inst) or ZERO
    size = abs(position.qty)
    value = size * inst.contract_size * position.entry_price
    side = "Buy" if position.qty > 0 else "Sell" if position.qty < 0 else ""
    updated = str(int(position.updated_at * 1000)) if position.updated_at else str(now_ms())
    return {
        "positionIdx": 0,
        "riskId": 1,
        "riskLimitValue": "2000000",
        "symbol": inst.symbol,
        "side": side,
        "size": fmt(size),
        "avgPrice": fmt(position.entry_price) if size else "0",
        "positionValue": fmt(value),
        "tradeMode": 0,
        "positionStatus": "Normal",
        "autoAddMargin": 0,
        "adlRankIndicator": 2 if size else 0,
        "leverage": str(engine.get_leverage(call.account, inst)),
        "positionBalance": fmt(position.margin),
        "markPrice": plain(mark),
        "liqPrice": "",
        "bustPrice": "",
        "positionMM": fmt(value * MAINTENANCE_RATE),
        "positionIM": fmt(position.margin),
        "tpslMode": "Full",
        "takeProfit": "0",
        "stopLoss": "0",
        "trailingStop": "0",
        "unrealisedPnl": fmt(engine.unrealized_pnl(position)) if size else "0",
        "curRealisedPnl": fmt(position.realized_pnl),
        "cumRealisedPnl": fmt(position.realized_pnl),
        "sessionAvgPrice": "",
        "isReduceOnly": False,
        "mmrSysUpdatedTime": "",
        "leverageSysUpdatedTime": "",
        "seq": int(position.updated_at * 1000) if position.updated_at else 0,
        "createdTime": updated,
        "updatedTime": updated,
    }


async def position_list(call: Call) -> object:
    _linear_only(call)
    engine = call.sim.engine
    account = call.account
    symbol, base, settle = call.get("symbol"), call.get("baseCoin"), call.get("settleCoin")
    if symbol is not None:
        inst = instrument_of(call, FUTURES, symbol)
        rows = [_position_row(call, inst, engine.position(account, inst))]
        if account.position_mode == HEDGE:
            # Hedge mode lists a Buy side (positionIdx 1) and a Sell side (2); both stay empty
            # here, as the simulator does not trade hedge-mode positions.
            rows = [{**rows[0], "positionIdx": 1}, {**rows[0], "positionIdx": 2}]
    elif base is not None or settle is not None:
        rows = []
        for position in engine.positions(EXCHANGE, account.api_key):
            inst = instrument_of(call, FUTURES, position.symbol)
            if base in (None, inst.base) and settle in (None, inst.settle):
                rows.append(_position_row(call, inst, position))
    else:
        raise missing_scope()
    return {"list": rows, "nextPageCursor": "", "category": "linear"}


async def set_leverage(call: Call) -> object:
    _linear_only(call)
    engine = call.sim.engine
    inst = instrument_of(call, FUTURES, call.require("symbol"))
    buy = call.decimal("buyLeverage", required=True)
    sell = call.decimal("sellLeverage", required=True)
    if buy != sell:
        raise params_error("buy leverage must be equal to sell leverage in one-way mode")
    if buy < 1:
        raise params_error("leverage invalid")
    if buy > inst.max_leverage:
        raise BybitError(
            110013,
            f"cannot set leverage [{int(buy * 100)}] gt maxLeverage [{inst.max_leverage * 100}] "
            "by risk limit",
        )
    if buy != buy.to_integral_value():
        # The engine keeps whole leverage only (Bybit allows steps of 0.01).
        raise params_error("leverage invalid: the simulator supports whole leverage only")
    if engine.get_leverage(call.account, inst) == int(buy):
        raise BybitError(110043, "leverage not modified")
    try:
        engine.set_leverage(call.account, inst, int(buy))
    except Reject as exc:
        raise params_error("leverage invalid") from exc
    return {}
