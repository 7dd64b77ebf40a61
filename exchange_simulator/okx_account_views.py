"""OKX v5 account renderings: the trading account's balance and its swap positions.

Every field OKX sends is there with OKX's JSON type (ccxt's recorded real answers,
`ts/src/test/static/response/okx.json`, and the v5 docs): numbers as strings, "" where a figure
does not apply to this account (margin loans, options greeks, copy trading).
"""

from __future__ import annotations

import zlib
from decimal import Decimal

from .models import FUTURES, ZERO, Instrument, Position
from .okx_http import EXCHANGE, ms
from .okx_views import s

DETAIL_EMPTY = {
    "accAvgPx": "",
    "borrowFroz": "0",
    "clSpotInUseAmt": "",
    "colBorrAutoConversion": "0",
    "collateralEnabled": False,
    "collateralRestrict": False,
    "fixedBal": "0",
    "imr": "",
    "isoUpl": "0",
    "maxSpotInUse": "",
    "mmr": "",
    "openAvgPx": "",
    "rewardBal": "",
    "smtSyncEq": "0",
    "spotBal": "",
    "spotCopyTradingEq": "0",
    "spotInUseAmt": "",
    "spotIsoBal": "0",
    "spotUpl": "",
    "spotUplRatio": "",
    "totalPnl": "",
    "totalPnlRatio": "",
}
POSITION_EMPTY = {
    "baseBal": "",
    "baseBorrowed": "",
    "baseInterest": "",
    "bizRefId": "",
    "bizRefType": "",
    "clSpotInUseAmt": "",
    "deltaBS": "",
    "deltaPA": "",
    "gammaBS": "",
    "gammaPA": "",
    "liqPenalty": "0",
    "maxSpotInUseAmt": "",
    "pendingCloseOrdLiabVal": "",
    "quoteBal": "",
    "quoteBorrowed": "",
    "quoteInterest": "",
    "spotInUseAmt": "",
    "spotInUseCcy": "",
    "thetaBS": "",
    "thetaPA": "",
    "vegaBS": "",
    "vegaPA": "",
}


def balance_view(engine, account, now: float, currencies: set[str] | None) -> dict:
    """The unified trading account: one row per currency, the sum of the engine's two wallets.

    OKX keeps spot holdings and swap margin in one trading account; the engine keeps a "spot" and a
    "futures" wallet (spot orders draw on the first, swap margin on the second). Here cashBal is
    their total, availBal the free part, frozenBal the locked part (open orders and position
    margin), upl the swaps' unrealised PnL and eq = cashBal + upl.
    """
    upl_by_ccy: dict[str, Decimal] = {}
    imr = notional_swap = ZERO
    for position in engine.positions(EXCHANGE, account.api_key):
        inst = engine.find_instrument(EXCHANGE, FUTURES, position.symbol)
        ccy = (inst.settle or inst.quote) if inst else "USDT"
        upl_by_ccy[ccy] = upl_by_ccy.get(ccy, ZERO) + engine.unrealized_pnl(position)
        imr += position.margin
        if inst is not None:
            notional_swap += abs(position.qty) * inst.contract_size * (engine.mark_of(inst) or ZERO)
    names = sorted({asset for assets in account.wallets.values() for asset in assets} | set(upl_by_ccy))
    details = []
    total_eq = ZERO
    for ccy in names:
        if currencies and ccy not in currencies:
            continue
        held = [assets[ccy] for assets in account.wallets.values() if ccy in assets]
        free = sum((b.free for b in held), ZERO)
        locked = sum((b.locked for b in held), ZERO)
        upl = upl_by_ccy.get(ccy, ZERO)
        cash = free + locked
        eq = cash + upl
        if ccy in ("USDT", "USDC"):
            total_eq += eq
        details.append(
            {
                "ccy": ccy,
                "cashBal": s(cash),
                "eq": s(eq),
                "eqUsd": s(eq) if ccy in ("USDT", "USDC") else "",
                "availBal": s(free),
                "availEq": s(free),
                "frozenBal": s(locked),
                "ordFrozen": s(locked),
                "upl": s(upl),
                "uplLiab": "0",
                "disEq": s(eq) if ccy in ("USDT", "USDC") else "",
                "isoEq": "0",
                "liab": "0",
                "crossLiab": "0",
                "isoLiab": "0",
                "interest": "0",
                "maxLoan": "",
                "mgnRatio": "",
                "notionalLever": "0",
                "stgyEq": "0",
                "twap": "0",
                "uTime": ms(now),
                # The rest of what OKX sends for each currency (ccxt's recorded real answer):
                # margin-trading, copy-trading and spot-PnL figures this account never has.
                **DETAIL_EMPTY,
            }
        )
    return {
        "adjEq": s(total_eq),
        "availEq": s(total_eq - imr),
        "borrowFroz": "0",
        "details": details,
        "imr": s(imr),
        "isoEq": "0",
        "mgnRatio": "",
        "mmr": "",
        "notionalUsd": "",
        "ordFroz": "",
        "totalEq": s(total_eq),
        "upl": s(sum(upl_by_ccy.values(), ZERO)),
        "uTime": ms(now),
        "notionalUsdForBorrow": "0",
        "notionalUsdForSwap": s(notional_swap),
        "notionalUsdForFutures": "0",
        "notionalUsdForOption": "0",
        "delta": "",
        "deltaLever": "",
        "deltaNeutralStatus": "0",
    }


def position_view(engine, inst: Instrument, position: Position, mgn_mode: str, leverage: int) -> dict:
    mark = engine.mark_of(inst) or position.entry_price
    upl = engine.unrealized_pnl(position)
    notional = abs(position.qty) * inst.contract_size * mark
    mmr = notional * Decimal(inst.extra.get("mmr", "0.004"))
    cross = mgn_mode == "cross"
    pos_id = str(zlib.crc32(f"{position.api_key}:{inst.symbol}".encode()) + 1_000_000_000_000)
    return {
        "instType": "SWAP",
        "instId": inst.symbol,
        "posId": pos_id,
        "posSide": "net",
        "pos": s(position.qty),
        "availPos": s(abs(position.qty)),
        "posCcy": "",
        "ccy": inst.settle or inst.quote,
        "mgnMode": mgn_mode,
        "lever": str(leverage),
        "avgPx": s(position.entry_price),
        "bePx": s(position.entry_price),
        "markPx": s(mark),
        "last": s(mark),
        "idxPx": s(mark),
        "upl": s(upl),
        "uplRatio": s(upl / position.margin) if position.margin else "0",
        "uplLastPx": s(upl),
        # OKX: realizedPnl = pnl + fee + fundingFee, fees negative when paid.
        "realizedPnl": s(position.realized_pnl - position.fees),
        "pnl": s(position.realized_pnl),
        "fee": s(-position.fees) if position.fees else "0",
        "fundingFee": "0",
        "imr": s(position.margin) if cross else "",
        "margin": "" if cross else s(position.margin),
        "mgnRatio": "",
        "mmr": s(mmr),
        "notionalUsd": s(notional),
        "liqPx": "",
        "adl": "1",
        "interest": "0",
        "liab": "",
        "liabCcy": "",
        "optVal": "",
        "tradeId": "",
        "cTime": ms(position.updated_at),
        "uTime": ms(position.updated_at),
        "uplRatioLastPx": s(upl / position.margin) if position.margin else "0",
        "usdPx": s(mark),
        "nonSettleAvgPx": s(position.entry_price),
        "settledPnl": "0",
        "closeOrderAlgo": [],
        **POSITION_EMPTY,
    }
