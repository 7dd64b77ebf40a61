"""The only module that imports ccxt.

Builds one client per account per worker process (and thread) over one shared ccxt client per
exchange (ccxt's asyncio flavour, each request run to its end on the thread's loop: `loops.py`),
decrypting credentials only here; points it at the live exchange, its demo/testnet, or the local
simulator; maps our four order types to ccxt calls, asking the account's venue (`venue.py`)
where an exchange differs; paces every request through the shared rate limiter; and translates
every ccxt exception into `accounts.exchange.types`.
"""

import logging
import os
import re
import threading
import time
from decimal import Decimal

import ccxt
import ccxt.async_support as ccxt_async
from django.conf import settings
from django.utils.translation import gettext as _

from accounts.crypto import decrypt
from accounts.exchange import loops, ratelimit, ratelimit_rules
from accounts.exchange.account_settings import AccountSettings, forget_brackets
from accounts.exchange.parsing import OrderParsing
from accounts.exchange.parsing import decimal_or_none as _decimal
from accounts.exchange.types import (
    AuthenticationFailed,
    DuplicateOrder,
    ExchangeError,
    ExchangeOrder,
    ExchangeUnavailable,
    InsufficientFunds,
    MarketRules,
    MarketRulesStale,
    OrderNotFound,
    OrderRejected,
    OrderRequest,
    OrderType,
    RateLimited,
)
from accounts.exchange.venues import venue_for
from tradingsite.logging import redact

logger = logging.getLogger(__name__)

# After an unknown-symbol refusal the markets are reloaded, but not more often than this: a
# mistyped symbol in a stream of signals must not reload them on every signal.
MARKETS_RELOAD_MIN_SECONDS = 10
BAN_STATUSES = (418, 403)  # Binance's IP ban (with Retry-After), Bybit's IP limit
_SCHEME_AND_HOST = re.compile(r"^https?://[^/]+")
_local = threading.local()
_markets_cache: dict[tuple, tuple[float, dict]] = {}
_markets_lock = threading.Lock()


def point_at(urls, base_url: str):
    """Replace scheme and host in every string of ccxt's `urls['api']`, keeping the paths."""
    if isinstance(urls, str):
        return _SCHEME_AND_HOST.sub(base_url.rstrip("/"), urls)
    if isinstance(urls, dict):
        return {key: point_at(value, base_url) for key, value in urls.items()}
    if isinstance(urls, list):
        return [point_at(value, base_url) for value in urls]
    return urls


def _pools() -> threading.local:
    """This thread's clients and ccxt clients, in this process: a forked worker starts with none
    of its parent's (they hold the parent's connections; `loops` keeps them alive, unused)."""
    if getattr(_local, "pid", None) != os.getpid():
        if getattr(_local, "pid", None) is not None:
            loops.keep([*_local.clients.values(), *_local.ccxt_pool.values()])
        _local.clients, _local.ccxt_pool, _local.pid = {}, {}, os.getpid()
    return _local


def _build_ccxt(exchange: str, environment: str) -> ccxt_async.Exchange:
    """A credential-less ccxt client for one exchange and environment; `_call` lends it an
    account's credentials for each request."""
    venue = venue_for(exchange)
    config = {
        "timeout": settings.EXCHANGE_TIMEOUT_MS,
        # Pacing is ours and shared by every process; ccxt's own limiter only knows this instance.
        "enableRateLimit": False,
        "options": dict(venue.ccxt_options),
        # ccxt's asyncio flavour: the same requests, signing and error mapping as its `requests`
        # flavour, over aiohttp, whose C parser costs ~0.35 ms less CPU per order (README
        # "Benchmarks"); each request still runs to its end before `_call` returns (loops.py).
        "asyncio_loop": loops.thread_loop(),
        "timeout_on_exit": 0,  # close() would otherwise sleep 250 ms (for websockets; none here)
    }
    client = getattr(ccxt_async, venue.ccxt_id)(config)
    loops.opened(client)
    client.has.update(venue.has_overrides)
    if environment == "demo":
        venue.enter_demo(client)
    elif environment == "simulator":
        client.urls["api"] = point_at(client.urls["api"], settings.EXCHANGE_SIMULATOR_URL)
    _remember_http_status(client)
    # Its aiohttp session and TLS context now, not inside its first request: loading the CA bundle
    # takes tens of ms of CPU, which between a rate-limit grant and the send would let the
    # exchange see requests closer together than they were granted (a Bybit 403 ban, measured).
    loops.run(_opened_session(client))
    return client


async def _opened_session(client: ccxt_async.Exchange) -> None:
    client.open()


def _remember_http_status(client: ccxt_async.Exchange) -> None:
    """Keep the last HTTP status on the client: an IP ban (Binance 418, Bybit 403) is told apart
    from an ordinary refusal by its status, which ccxt's exception messages do not reliably carry."""
    hook = client.on_rest_response

    def on_rest_response(code, *args):
        client.last_http_status = code
        return hook(code, *args)

    client.last_http_status = None
    client.on_rest_response = on_rest_response


def _shared_ccxt(account) -> ccxt_async.Exchange:
    """This thread's ccxt client for the account's exchange and environment. One per process
    and thread, not one per account: a 100-account fan-out would otherwise build (and keep) a
    client, with its markets, for every account in every worker. Only the credentials differ,
    and they are set before each request; a thread never runs two requests at once."""
    pool = _pools().ccxt_pool
    key = _environment_key(account)
    if key not in pool:
        pool[key] = _build_ccxt(account.exchange, account.environment)
    return pool[key]


def _environment_key(account) -> tuple:
    where = settings.EXCHANGE_SIMULATOR_URL if account.environment == "simulator" else account.environment
    return account.exchange, where


def client_for(account) -> "ExchangeClient":
    """This process's (and thread's) client for the account, rebuilt when the account changes."""
    clients = _pools().clients
    key = (account.pk, account.updated_at, settings.EXCHANGE_SIMULATOR_URL)
    client = clients.get(account.pk)
    if client is None or client.cache_key != key:
        client = ExchangeClient(account, cache_key=key)
        clients[account.pk] = client
    return client


def forget_clients() -> None:
    """Drop this thread's clients and the shared markets (tests, credential changes)."""
    pools = _pools()
    loops.close(list(pools.ccxt_pool.values()))  # their aiohttp sessions and connections
    pools.clients, pools.ccxt_pool = {}, {}
    with _markets_lock:
        _markets_cache.clear()
    forget_brackets()


class ExchangeClient(AccountSettings, OrderParsing):
    """One account's connection to its exchange. Methods take and return our types only."""

    def __init__(self, account, cache_key=None):
        self.account_id = account.pk
        self.exchange = account.exchange
        self.venue = venue_for(account.exchange)
        self.margin_mode = account.margin_mode
        self.hedged = account.position_mode == "hedge"
        self.cache_key = cache_key
        self._ccxt = _shared_ccxt(account)
        self._env_key = _environment_key(account)
        # ccxt (Binance) reads a -2015 as an IP rate limit once *its instance* authenticated once;
        # the instance is shared by accounts, so that memory is kept per account (here).
        self._authenticated = False
        self._hedged: bool | None = None
        self._credentials = {
            "apiKey": decrypt(account.api_key_encrypted),
            "secret": decrypt(account.api_secret_encrypted),
            "password": decrypt(account.passphrase_encrypted) or None,
        }

    # --- plumbing ---------------------------------------------------------------------------

    def _call(self, action: str, market_type: str, fn, *args, symbol: str | None = None, **kwargs):
        limits = ratelimit_rules.limits_for(
            exchange=self.exchange,
            market_type=market_type,
            account_id=self.account_id,
            action=action,
            symbol=symbol,
        )
        ratelimit.acquire(limits=limits)
        for name, value in self._credentials.items():  # this account's turn on the shared client
            setattr(self._ccxt, name, value)
        self._ccxt.options["hasAlreadyAuthenticatedSuccessfully"] = self._authenticated
        started = time.monotonic()
        try:
            result = loops.run(fn(*args, **kwargs))
            self._authenticated = self._authenticated or bool(
                self._ccxt.options.get("hasAlreadyAuthenticatedSuccessfully")
            )
            return result
        except ccxt.BaseError as error:
            raise self._translate(error, market_type) from error
        finally:
            logger.debug(
                "%s %s %s took %.1f ms",
                self.exchange,
                action,
                symbol or "",
                (time.monotonic() - started) * 1000,
            )

    def _translate(self, error: Exception, market_type: str) -> ExchangeError:
        # ccxt puts the request URL in network errors; ours go to the database and the webhook's
        # answer, so the signed query string's signature is masked here, once.
        message = redact(f"{type(error).__name__}: {str(error)[:300]}")
        # What ccxt raises as a plain refusal can mean something else on this exchange.
        kind = self.venue.refusal_kind(str(error)) if isinstance(error, ccxt.ExchangeError) else None
        if kind == "outcome_unknown":
            return ExchangeUnavailable(message)
        if kind == "duplicate_id":
            return DuplicateOrder(message)
        if kind == "stale_market":
            return MarketRulesStale(message)
        if isinstance(error, ccxt.AuthenticationError | ccxt.PermissionDenied | ccxt.AccountSuspended):
            return AuthenticationFailed(message)
        if kind == "rate_limit" or isinstance(error, ccxt.DDoSProtection | ccxt.RateLimitExceeded):
            retry_after = self._retry_after()
            banned = self._ccxt.last_http_status in BAN_STATUSES
            if banned or retry_after:  # every process must stop using this IP for a while
                seconds = retry_after or self.venue.ip_ban_seconds
                ratelimit.block(key=ratelimit_rules.ip_limit_key(self.exchange, market_type), seconds=seconds)
            logger.warning("%s rate limited (banned=%s, retry after %s)", self.exchange, banned, retry_after)
            return RateLimited(message, retry_after=retry_after, banned=banned)
        if isinstance(error, ccxt.OrderNotFound):
            return OrderNotFound(message)
        if isinstance(error, ccxt.InsufficientFunds):
            return InsufficientFunds(message)
        if isinstance(error, ccxt.OperationFailed):  # timeouts, 5xx, bad answers: outcome unknown
            return ExchangeUnavailable(message)
        if isinstance(error, ccxt.ExchangeError):  # a structured refusal: nothing was done
            return OrderRejected(message)
        return ExchangeError(message)

    def _lookup_action(self, action: str, market_type: str, is_trigger: bool) -> str:
        """The rate-limit action of a look-up: trigger orders' own bucket where the exchange has one."""
        if is_trigger and ratelimit_rules.has_action(self.exchange, market_type, "algo_query"):
            return "algo_query"
        return action

    def _retry_after(self) -> float | None:
        headers = getattr(self._ccxt, "last_response_headers", None) or {}
        for name, value in headers.items():
            if name.lower() == "retry-after":
                try:
                    return float(value)
                except ValueError:
                    return None
        return None

    def _ensure_markets(self) -> None:
        """Markets at most EXCHANGE_MARKETS_TTL_SECONDS old: listings, ticks and steps change while
        a worker runs. One copy per process and exchange, shared by its threads' clients."""
        ttl = settings.EXCHANGE_MARKETS_TTL_SECONDS
        now = time.monotonic()
        loaded_at = getattr(self._ccxt, "markets_loaded_at", None)
        if self._ccxt.markets and loaded_at is not None and now - loaded_at < ttl:
            return
        with _markets_lock:
            cached = _markets_cache.get(self._env_key)
        if cached and now - cached[0] < ttl:
            self._ccxt.set_markets(cached[1])
            self._ccxt.markets_loaded_at = cached[0]
            return
        self.reload_markets()

    def reload_markets(self) -> None:
        """Load the markets from the exchange now (after a refusal that says ours are stale)."""
        markets = self._call("markets", "SPOT", self._ccxt.load_markets, True)
        loaded_at = time.monotonic()
        self._ccxt.markets_loaded_at = loaded_at
        with _markets_lock:
            _markets_cache[self._env_key] = (loaded_at, markets)
        logger.info("%s markets loaded (%s symbols)", self.exchange, len(markets or {}))

    def _market(self, symbol: str) -> dict:
        self._ensure_markets()
        try:
            return self._ccxt.market(symbol)
        except ccxt.BadSymbol:
            pass
        if time.monotonic() - self._ccxt.markets_loaded_at >= MARKETS_RELOAD_MIN_SECONDS:
            self.reload_markets()  # perhaps listed since we loaded the markets
            try:
                return self._ccxt.market(symbol)
            except ccxt.BadSymbol:
                pass
        raise OrderRejected(
            _("알 수 없는 심볼입니다: %(symbol)s (%(exchange)s)")
            % {"symbol": symbol, "exchange": self.exchange}
        )

    # --- account ------------------------------------------------------------------------------

    def server_time_ms(self) -> float:
        return float(self._call("query", "SPOT", self._ccxt.fetch_time))

    def key_permissions(self) -> dict:
        """The exchange's own answer on this key's permissions (the venue names the endpoint)."""
        return self._call("query", "SPOT", getattr(self._ccxt, self.venue.key_permissions_call), {})

    # --- market data --------------------------------------------------------------------------

    def market_rules(self, symbol: str) -> MarketRules:
        market = self._market(symbol)
        contract_size = _decimal(market.get("contractSize")) if market.get("contract") else None
        contract_size = contract_size or Decimal("1")
        precision, limits = market.get("precision") or {}, market.get("limits") or {}
        step = _decimal(precision.get("amount")) or Decimal("0.00000001")
        min_amount = _decimal((limits.get("amount") or {}).get("min"))
        market_max = _decimal((limits.get("market") or {}).get("max"))
        return MarketRules(
            symbol=symbol,
            market_type="FUTURES" if market.get("contract") else "SPOT",
            amount_step=step * contract_size,
            price_tick=_decimal(precision.get("price")),
            min_amount=min_amount * contract_size if min_amount is not None else None,
            min_cost=_decimal((limits.get("cost") or {}).get("min")),
            contract_size=contract_size,
            base=market.get("base") or "",
            taker_fee=_decimal(market.get("taker")) or Decimal("0"),
            max_market_amount=market_max * contract_size if market_max else None,
        )

    def last_price(self, symbol: str, market_type: str) -> Decimal:
        self._ensure_markets()
        ticker = self._call("ticker", market_type, self._ccxt.fetch_ticker, symbol, symbol=symbol)
        price = _decimal(ticker.get("last") or ticker.get("close") or ticker.get("bid"))
        if not price:
            raise ExchangeUnavailable(f"no last price for {symbol}")
        return price

    def balance(self, market_type: str, currency: str, *, part: str = "total") -> Decimal:
        """The balance of `currency` in the wallet that trades `market_type`: "total" or "free"."""
        self._ensure_markets()
        params = self.venue.balance_params(market_type)
        balances = self._call("balance", market_type, self._ccxt.fetch_balance, params)
        return _decimal((balances.get(currency) or {}).get(part)) or Decimal("0")

    # --- orders -------------------------------------------------------------------------------

    def create_order(self, request: OrderRequest) -> ExchangeOrder:
        market = self._market(request.symbol)
        rules = self.market_rules(request.symbol)
        amount = float(request.amount / rules.contract_size)
        params = self.venue.client_id_params(request.client_order_id, is_trigger=request.is_trigger)
        if request.reduce_only and market.get("contract"):
            params["reduceOnly"] = True  # swaps only: spot would reject or misread it
        if market.get("contract"):
            params.update(self.venue.order_margin_params(self.margin_mode))
        ccxt_type = "limit" if request.order_type in OrderType.PRICED else "market"
        price = float(request.price) if ccxt_type == "limit" else None  # never a price on market orders
        if request.is_trigger:
            params.update(
                self.venue.trigger_params(
                    side=request.side,
                    stop_price=request.stop_price,
                    reference=request.reference_price,
                    contract=bool(market.get("contract")),
                )
            )
        action = "algo_order" if request.is_trigger else "order"
        result = self._call(
            action,
            request.market_type,
            self._ccxt.create_order,
            request.symbol,
            ccxt_type,
            request.side,
            amount,
            price,
            params,
            symbol=request.symbol,
        )
        order = self._parse(result, rules, is_trigger=request.is_trigger)
        order.client_order_id = order.client_order_id or request.client_order_id
        return self._with_fees(order, rules, request.market_type)

    def needs_reference_price(self, *, order_type: str, market_type: str) -> bool:
        """Whether `create_order` wants the request's `reference_price` (the last price)."""
        return self.venue.needs_reference_price(order_type=order_type, market_type=market_type)

    def find_order(
        self, *, symbol: str, market_type: str, client_order_id: str, is_trigger: bool
    ) -> ExchangeOrder | None:
        """The order with our client order id, or None if the exchange has none."""
        rules = self.market_rules(symbol)
        try:
            if self.venue.lookup_by_listing:
                result = self._listed_by_client_id(symbol, market_type, client_order_id, is_trigger)
                if result is None:
                    return None
            else:
                params = {"clientOrderId": client_order_id}
                if is_trigger:
                    params["trigger"] = True
                action = self._lookup_action("fetch_order", market_type, is_trigger)
                result = self._call(
                    action, market_type, self._ccxt.fetch_order, None, symbol, params, symbol=symbol
                )
        except OrderNotFound:
            return None
        return self._with_fees(self._parse(result, rules, is_trigger=is_trigger), rules, market_type)

    def _listed_by_client_id(self, symbol, market_type, client_order_id, is_trigger):
        params = {"orderLinkId": client_order_id}
        if is_trigger:
            params["trigger"] = True
        action = self._lookup_action("open_orders", market_type, is_trigger)
        for fetch in (self._ccxt.fetch_open_orders, self._ccxt.fetch_canceled_and_closed_orders):
            found = self._call(action, market_type, fetch, symbol, None, None, dict(params), symbol=symbol)
            if found:
                return found[0]
        return None

    def fetch_order(self, *, symbol: str, market_type: str, order_id: str, is_trigger: bool) -> ExchangeOrder:
        rules = self.market_rules(symbol)
        params = {"trigger": True} if is_trigger else {}
        params.update(self.venue.fetch_order_params())
        action = self._lookup_action("fetch_order", market_type, is_trigger)
        result = self._call(
            action, market_type, self._ccxt.fetch_order, order_id, symbol, params, symbol=symbol
        )
        return self._with_fees(self._parse(result, rules, is_trigger=is_trigger), rules, market_type)

    def order_state(
        self, *, symbol: str, market_type: str, order_id: str | None, client_order_id: str, is_trigger: bool
    ) -> ExchangeOrder | None:
        """Where an order stands now, following a fired trigger order to the order it became
        (Binance `actualOrderId`, OKX `ordId`; Bybit keeps the id). None if the exchange has
        no such order."""
        state = None
        if order_id:
            try:
                state = self.fetch_order(
                    symbol=symbol, market_type=market_type, order_id=order_id, is_trigger=is_trigger
                )
            except OrderNotFound:
                state = None
        if state is None:
            state = self.find_order(
                symbol=symbol, market_type=market_type, client_order_id=client_order_id, is_trigger=is_trigger
            )
        if state is None and is_trigger:  # some exchanges list a fired trigger as a normal order
            state = self.find_order(
                symbol=symbol, market_type=market_type, client_order_id=client_order_id, is_trigger=False
            )
        if state is not None and is_trigger and state.triggered_order_id:
            fired = self.fetch_order(
                symbol=symbol, market_type=market_type, order_id=state.triggered_order_id, is_trigger=False
            )
            fired.is_trigger, fired.triggered_order_id = True, state.triggered_order_id
            fired.id = state.id
            return fired
        return state

    def open_orders(self, *, symbol: str, market_type: str) -> list[ExchangeOrder]:
        """Open orders on a symbol, normal and trigger (untriggered stop) orders."""
        rules = self.market_rules(symbol)
        orders: dict[str, ExchangeOrder] = {}
        for is_trigger in (False, True):
            params = {"trigger": True} if is_trigger else {}
            found = self._call(
                self._lookup_action("open_orders", market_type, is_trigger),
                market_type,
                self._ccxt.fetch_open_orders,
                symbol,
                None,
                None,
                params,
                symbol=symbol,
            )
            for item in found:
                # Binance spot and Bybit list every order in both passes: an order seen again is
                # a trigger order only if it still waits for its trigger price.
                if is_trigger and item.get("id") in orders and not item.get("triggerPrice"):
                    continue
                parsed = self._parse(item, rules, is_trigger=is_trigger)
                orders[parsed.id] = parsed
        return list(orders.values())

    def cancel_order(self, *, symbol: str, market_type: str, order_id: str, is_trigger: bool) -> None:
        self._ensure_markets()
        params = {"trigger": True} if is_trigger else {}
        action = "algo_order" if is_trigger else "order"
        self._call(action, market_type, self._ccxt.cancel_order, order_id, symbol, params, symbol=symbol)

    def cancel_all(self, *, symbol: str, market_type: str) -> int:
        """Cancel every open order on the symbol, ours or not (normal and trigger), by the
        exchange's cancel-all calls or, where it has none, list-and-cancel. Returns how many."""
        if self.venue.cancel_all_by_listing:
            open_now = self.open_orders(symbol=symbol, market_type=market_type)
            for order in open_now:
                self.cancel_order(
                    symbol=symbol, market_type=market_type, order_id=order.id, is_trigger=order.is_trigger
                )
            return len(open_now)
        self._ensure_markets()
        cancelled = 0
        for params in self.venue.cancel_all_passes(market_type):
            result = self._call(
                "order", market_type, self._ccxt.cancel_all_orders, symbol, params, symbol=symbol
            )
            cancelled += len(result) if isinstance(result, list) else 0
        return cancelled
