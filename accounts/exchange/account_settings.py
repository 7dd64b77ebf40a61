"""An account's settings and positions on its futures exchange: leverage, margin mode, position
mode, the account's net position and the leverage brackets. A mixin of `ExchangeClient`
(`client.py`, the only ccxt import): it calls ccxt only through the client's `_ccxt` and `_call`."""

import hashlib
import threading
import time
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from accounts.exchange.parsing import decimal_or_none
from accounts.exchange.types import OrderRejected

_brackets: dict[tuple, tuple[float, list]] = {}
_lock = threading.Lock()


def forget_brackets() -> None:
    with _lock:
        _brackets.clear()


class AccountSettings:
    def set_leverage(self, symbol: str, leverage: int, margin_mode: str | None = None) -> None:
        self._ensure_markets()
        params = self.venue.leverage_params(margin_mode or self.margin_mode)
        try:
            self._call(
                "leverage", "FUTURES", self._ccxt.set_leverage, leverage, symbol, params, symbol=symbol
            )
        except OrderRejected as error:
            if not self.venue.leverage_unchanged(str(error)):
                raise

    def apply_margin_mode(self, symbol: str, margin_mode: str) -> None:
        """Make the exchange trade `symbol` in `margin_mode`, where that is a setting of its own.
        Raises OrderRejected when the exchange refuses it or the account-wide mode differs."""
        self._ensure_markets()
        if self.venue.margin_mode_by == "symbol":
            try:
                self._call(
                    "leverage", "FUTURES", self._ccxt.set_margin_mode, margin_mode, symbol, symbol=symbol
                )
            except OrderRejected as error:
                if not self.venue.margin_mode_unchanged(str(error)):
                    raise
        elif self.venue.margin_mode_by == "account":
            found = self._call("query", "FUTURES", self._ccxt.fetch_margin_mode, symbol, symbol=symbol)
            on_exchange = self.venue.account_margin_mode((found or {}).get("marginMode"))
            if on_exchange != margin_mode:
                raise OrderRejected(
                    _("마진 모드 불일치: 거래소 %(on_exchange)s, 계좌 설정 %(margin_mode)s (%(exchange)s)")
                    % {"exchange": self.exchange, "on_exchange": on_exchange, "margin_mode": margin_mode}
                )

    def hedge_mode(self, symbol: str) -> bool:
        """Whether the futures account is in hedge (two-way) mode. Asked of the exchange once per
        POSITION_MODE_TTL_SECONDS and account, and shared through the cache: asking once per
        worker and account put a positions request (and its latency) in front of most orders of
        a fan-out. A mode switched on the exchange meanwhile is refused there, never misread."""
        if self.hedged:  # the account says so: no need to ask
            return True
        if self._hedged is None:
            identity = repr(self.cache_key or (self.account_id, *self._env_key))  # pk, edit, venue
            key = "position-mode:" + hashlib.sha256(identity.encode()).hexdigest()[:32]
            known = cache.get(key)
            if known is None:
                known = self._position_mode_asked(symbol)
                cache.set(key, known, settings.POSITION_MODE_TTL_SECONDS)
            self._hedged = known
        return self._hedged

    def _position_mode_asked(self, symbol: str) -> bool:
        self._ensure_markets()
        if self.venue.position_mode_from_positions:
            found = self._call("positions", "FUTURES", self._ccxt.fetch_positions, [symbol], symbol=symbol)
            return any(position.get("hedged") for position in found)
        mode = self._call("query", "FUTURES", self._ccxt.fetch_position_mode, symbol, symbol=symbol)
        return bool((mode or {}).get("hedged"))

    def max_position_notional(self, symbol: str, leverage: int) -> Decimal | None:
        """The largest position notional (quote) the exchange allows at `leverage`, where it caps
        one (Binance leverage brackets); None where it does not. The brackets are cached per
        process for the markets' TTL (they are the account's, but the same for every account
        without a special arrangement)."""
        if not self.venue.leverage_brackets:
            return None
        self._ensure_markets()
        key = (*self._env_key, symbol)
        with _lock:
            cached = _brackets.get(key)
        if not cached or time.monotonic() - cached[0] >= settings.EXCHANGE_MARKETS_TTL_SECONDS:
            tiers = self._call("query", "FUTURES", self._ccxt.fetch_leverage_tiers, [symbol], symbol=symbol)
            cached = (time.monotonic(), list((tiers or {}).get(symbol) or []))
            with _lock:
                _brackets[key] = cached
        caps = [
            Decimal(str(tier["maxNotional"]))
            for tier in cached[1]
            if tier.get("maxNotional") is not None and (tier.get("maxLeverage") or 0) >= leverage
        ]
        return max(caps) if caps else None

    def net_position(self, symbol: str) -> Decimal:
        """The account's signed position on `symbol` (base units): every strategy's, netted."""
        self._ensure_markets()
        found = self._call("positions", "FUTURES", self._ccxt.fetch_positions, [symbol], symbol=symbol)
        net = Decimal("0")
        for position in found:
            if position.get("symbol") != symbol:
                continue
            contracts = decimal_or_none(position.get("contracts")) or Decimal("0")
            size = decimal_or_none(position.get("contractSize")) or Decimal("1")
            net += contracts * size * (-1 if position.get("side") == "short" else 1)
        return net
