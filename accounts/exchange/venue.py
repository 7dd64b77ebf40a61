"""What differs between exchanges, behind one interface: the client (`client.py`) asks its venue
instead of branching on the exchange's name. One module per exchange holds its quirks
(`binance.py`, `bybit.py`, `okx.py`); `venues.py` finds them. No ccxt import here: a venue only
says which parameters and which calls its exchange needs."""

from decimal import Decimal


class Venue:
    """The defaults, as most exchanges behave in ccxt 4.5; each exchange overrides what differs."""

    name = ""  # BINANCE | BYBIT | OKX
    ccxt_id = ""
    ccxt_options: dict = {}
    # ccxt capabilities switched off: loading them costs requests and nothing here reads them
    has_overrides: dict = {}
    ip_ban_seconds = 60  # how long every process keeps off the IP after a ban without Retry-After
    # Look an order up by client order id by listing open and closed orders (no direct fetch).
    lookup_by_listing = False
    # No cancel-all endpoint: list the open orders and cancel each.
    cancel_all_by_listing = False

    # How a refusal that ccxt raises as a plain ExchangeError/InvalidOrder is really meant, told by
    # fragments of the exchange's raw answer (which ccxt puts in the message).
    outcome_unknown_markers: tuple[str, ...] = ()  # server trouble: the order may exist
    duplicate_id_markers: tuple[str, ...] = ()  # our client id is taken: the order exists
    rate_limit_markers: tuple[str, ...] = ()  # a rate limit ccxt does not know as one
    stale_market_markers: tuple[str, ...] = ()  # unknown symbol, tick or step: reload markets

    def refusal_kind(self, message: str) -> str | None:
        """ "outcome_unknown" | "duplicate_id" | "rate_limit" | "stale_market" | None (a refusal)."""
        for kind, markers in (
            ("outcome_unknown", self.outcome_unknown_markers),
            ("duplicate_id", self.duplicate_id_markers),
            ("rate_limit", self.rate_limit_markers),
            ("stale_market", self.stale_market_markers),
        ):
            if any(marker in message for marker in markers):
                return kind
        return None

    # How the account's margin mode reaches the exchange (Venue.margin_mode_*): "symbol" — a call
    # per symbol before its first order; "order" — carried by every order; "account" — one
    # account-wide setting, checked against ours.
    margin_mode_by = "order"
    # Whether the exchange caps a position's notional per leverage (Binance leverage brackets).
    leverage_brackets = False
    # Whether the position mode (one-way / hedge) shows only in the positions listing.
    position_mode_from_positions = False

    def order_margin_params(self, margin_mode: str) -> dict:
        """Parameters every futures order carries for the account's margin mode."""
        return {}

    def margin_mode_unchanged(self, message: str) -> bool:
        """Whether a refused margin-mode change only says the mode already is what we asked."""
        return False

    def account_margin_mode(self, raw_mode: str | None) -> str | None:
        """Our name ("cross" / "isolated") of an account-wide margin mode as ccxt reports it."""
        return raw_mode

    def enter_demo(self, client) -> None:
        """Point a ccxt client at the exchange's demo trading."""
        client.enable_demo_trading(True)

    def balance_params(self, market_type: str) -> dict:
        return {"type": "swap"} if market_type == "FUTURES" else {"type": "spot"}

    def leverage_params(self, margin_mode: str) -> dict:
        return {}

    def leverage_unchanged(self, message: str) -> bool:
        """Whether a refused leverage change only says the leverage already is what we asked."""
        return False

    def needs_reference_price(self, *, order_type: str, market_type: str) -> bool:
        """Whether placing this order needs the last price (e.g. to tell a trigger's direction)."""
        return False

    def trigger_params(
        self, *, side: str, stop_price: Decimal, reference: Decimal | None, contract: bool
    ) -> dict:
        """The parameters that make a trigger order fire when the price reaches `stop_price` from
        where it is now (`reference`, the last price, when `needs_reference_price`)."""
        return {"triggerPrice": float(stop_price)}

    def client_id_params(self, client_order_id: str, *, is_trigger: bool) -> dict:
        """How an order carries our client order id."""
        return {"clientOrderId": client_order_id}

    def fetch_order_params(self) -> dict:
        return {}

    def cancel_all_passes(self, market_type: str) -> list[dict]:
        """The cancel-all calls that reach every open order, normal and trigger."""
        return [{}]

    # The ccxt method that reads this key's permissions (the admin's "Test connection").
    key_permissions_call = ""

    def read_key_permissions(self, answer: dict, check) -> None:
        """Fill `check` (a ConnectionCheck) from the exchange's answer on the key's permissions."""

    def order_ids(self, raw: dict, *, is_trigger: bool) -> tuple[str | None, str | None]:
        """(exchange order id, client order id) of a ccxt order."""
        return raw.get("id"), raw.get("clientOrderId")
