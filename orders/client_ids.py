"""Deterministic client order ids: the same (log, account, index) always gives the same id, so a
re-run finds the order it placed. An HMAC tag keyed by SECRET_KEY keeps ids of two installations
(or of a database that was reset) from colliding on one exchange account."""

import hashlib
import hmac

from django.conf import settings

MAX_LENGTH = 32  # the one format all three exchanges accept: [A-Za-z0-9]{1,32} (OKX is strictest)


def client_order_id(*, log_id: int, account_id: int, order_index: int) -> str:
    readable = f"T{log_id}A{account_id}N{order_index}"
    tag = hmac.new(settings.SECRET_KEY.encode(), readable.encode(), hashlib.sha256).hexdigest()
    return (readable + "x" + tag)[:MAX_LENGTH]
