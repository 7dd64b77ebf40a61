"""One signal as a matrix: a row per account, a column per order of the batch, and the
account's stage times (received → committed → job started → sent → exchange answered → answered)."""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from orders.models import AccountJob, Order

STAGES = [
    ("received", _("received")),
    ("committed", _("committed")),
    ("started", _("job started")),
    ("sent", _("sent")),
    ("exchange_answered", _("exchange answered")),
    ("answered", _("answered")),
]


@dataclass
class Stage:
    key: str
    label: str
    at: datetime | None
    offset_ms: float | None  # since the webhook's arrival


@dataclass
class MatrixRow:
    account: object
    job: AccountJob | None
    cells: list = field(default_factory=list)  # Order or None, per order index
    stages: list = field(default_factory=list)


def signal_matrix(*, log) -> dict:
    """{"columns": [0, 1, ...], "rows": [MatrixRow]} for the log's accounts, in account order."""
    orders = list(
        Order.objects.filter(webhook_log=log).select_related("account").order_by("account_id", "order_index")
    )
    jobs = {
        job.account_id: job for job in AccountJob.objects.filter(webhook_log=log).select_related("account")
    }
    width = max((o.order_index for o in orders), default=-1) + 1
    rows: dict[int, MatrixRow] = {}
    for account_id, job in sorted(jobs.items()):
        rows[account_id] = MatrixRow(account=job.account, job=job, cells=[None] * width)
    for order in orders:
        row = rows.setdefault(
            order.account_id, MatrixRow(account=order.account, job=None, cells=[None] * width)
        )
        row.cells[order.order_index] = order
    for row in rows.values():
        row.stages = _stages(log, row.job)
    return {"columns": list(range(width)), "rows": list(rows.values())}


def _stages(log, job: AccountJob | None) -> list[Stage]:
    times = {
        "received": log.received_at,
        "committed": log.committed_at,
        "started": job.started_at if job else None,
        "sent": job.sent_at if job else None,
        "exchange_answered": job.exchange_answered_at if job else None,
        "answered": log.answered_at,
    }
    stages = []
    for key, label in STAGES:
        at = times[key]
        offset = (at - log.received_at).total_seconds() * 1000 if at and log.received_at else None
        stages.append(Stage(key=key, label=str(label), at=at, offset_ms=offset))
    return stages
