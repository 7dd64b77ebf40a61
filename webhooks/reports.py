"""The webhook's success bodies, in the user's guide's exact shapes (CONTRACT.md "Success
responses"), and the log's final status. Numbers are JSON numbers, ids are strings."""

from decimal import Decimal

from django.conf import settings

from orders.models import AccountJob, Order, OrderStatus, OrderType
from orders.reads import jobs_orders
from orders.services import jobs_wait

SUCCESSFUL = {OrderStatus.PENDING, OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED}


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _requested(value: Decimal | None) -> int | float | None:
    """Echo a requested number as it reads: 78000 stays 78000, 3200.5 stays 3200.5."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _order_success(order: Order) -> bool | None:
    if order.status == OrderStatus.PROCESSING:
        return None  # unknown yet: a client must not read this as a failure and retry
    return order.status in SUCCESSFUL


def _order_price(order: Order) -> float | None:
    if order.order_type in OrderType.PRICED:
        return _number(order.price)
    return _number(order.average_price or order.price or order.stop_price)


def _account_head(job: AccountJob) -> dict:
    return {
        "account_id": job.account_id,
        "account_name": job.account.label,
        "exchange": job.account.exchange.lower(),
    }


def _error_of(order: Order) -> dict:
    """The order's error when it failed, and what the service changed in it (a capped sell)."""
    entry = {"error": order.error} if order.error and order.status not in SUCCESSFUL else {}
    return {**entry, "note": order.note} if order.note else entry


def log_status(successes: int, failures: int, running: bool) -> str | None:
    if running:
        return None
    if failures == 0:
        return "success"
    return "failed" if successes == 0 else "partial"


def signal_report(*, log, signal, jobs, orders, skipped_accounts=0) -> tuple[int, dict, str | None]:
    by_account: dict[int, list[Order]] = {}
    for order in orders:
        by_account.setdefault(order.account_id, []).append(order)
    running = [job for job in jobs if not job.finished]
    executed = len(jobs) - len(running)
    successes = sum(1 for o in orders if o.status in SUCCESSFUL)
    failures = sum(1 for o in orders if o.status not in SUCCESSFUL and o.status != OrderStatus.PROCESSING)
    common = {"action": signal.action, "strategy": signal.group_name}
    if signal.is_batch:
        result = {
            **common,
            "symbol": signal.symbol,
            "total_orders": len(signal.legs),
            "market_type": signal.market_type,
            "accounts": [],
        }
        successful_accounts = 0
        for job in jobs:
            account_orders = by_account.get(job.account_id, [])
            ok = sum(1 for o in account_orders if o.status in SUCCESSFUL)
            failed = sum(
                1 for o in account_orders if o.status not in SUCCESSFUL and o.status != OrderStatus.PROCESSING
            )
            if job.finished and failed == 0 and ok:
                successful_accounts += 1
            result["accounts"].append(
                {
                    **_account_head(job),
                    "successful_orders": ok,
                    "failed_orders": failed,
                    **({"error": job.error} if job.error else {}),
                    "orders": [
                        {
                            "order_index": o.order_index,
                            "order_id": o.exchange_order_id or None,
                            "requested_price": _requested(o.price),
                            "requested_qty_per": float(o.qty_per),
                            "success": _order_success(o),
                            "status": o.status,
                            "quantity": _number(o.quantity),
                            "stop_price": _requested(o.stop_price),
                            "client_order_id": o.client_order_id,
                            **_error_of(o),
                        }
                        for o in account_orders
                    ],
                }
            )
        result["summary"] = {
            "total_accounts": len(jobs),
            "executed_accounts": executed,
            "successful_accounts": successful_accounts,
            "total_orders_successful": successes,
            "total_orders_failed": failures,
            "pending_accounts": len(running),
            "skipped_accounts": skipped_accounts,
        }
    else:
        result = {**common, "market_type": signal.market_type, "symbol": signal.symbol, "results": []}
        for job in jobs:
            for o in by_account.get(job.account_id, []):
                result["results"].append(
                    {
                        **_account_head(job),
                        "success": _order_success(o),
                        "order_id": o.exchange_order_id or None,
                        "quantity": _number(o.quantity),
                        "order_price": _order_price(o),
                        "status": o.status,
                        "client_order_id": o.client_order_id,
                        "filled_quantity": _number(o.filled_quantity),
                        **_error_of(o),
                    }
                )
        result["summary"] = {
            "total_accounts": len(jobs),
            "executed_accounts": executed,
            "successful_trades": successes,
            "failed_trades": failures,
            "pending_accounts": len(running),
            "skipped_accounts": skipped_accounts,
        }
    status = 202 if running else 200
    return status, result, log_status(successes, failures, bool(running))


def cancel_report(*, log, jobs) -> tuple[int, dict, str | None]:
    running = [job for job in jobs if not job.finished]
    results, cancelled_total, failed_total, ok_accounts, failed_accounts = [], 0, 0, 0, 0
    for job in jobs:
        data = job.result or {}
        cancelled, failed = data.get("cancelled_orders", 0), data.get("failed_orders", 0)
        success = None if not job.finished else (job.state == AccountJob.State.DONE and failed == 0)
        if success:
            ok_accounts += 1
        elif success is False:
            failed_accounts += 1
        cancelled_total += cancelled
        failed_total += failed
        entry = {
            **_account_head(job),
            "cancelled_orders": cancelled,
            "failed_orders": failed,
            "success": success,
        }
        for extra in ("already_closed_orders", "orders"):
            if extra in data:
                entry[extra] = data[extra]
        if job.error:
            entry["error"] = job.error
        results.append(entry)
    result = {
        "action": "cancel_all_orders",
        "strategy": log.strategy.group_name,
        "results": results,
        "summary": {
            "total_accounts": len(jobs),
            "processed_accounts": len(jobs) - len(running),
            "successful_accounts": ok_accounts,
            "failed_accounts": failed_accounts,
            "total_cancelled_orders": cancelled_total,
            "total_failed_orders": failed_total,
            "pending_accounts": len(running),
        },
    }
    status = 202 if running else 200
    final_status = (
        None
        if running
        else ("success" if failed_accounts == 0 else ("failed" if ok_accounts == 0 else "partial"))
    )
    return status, result, final_status


def _wait(log, job_ids: list[int], started: float) -> list[AccountJob]:
    deadline = started + settings.WEBHOOK_RESPONSE_DEADLINE
    return jobs_wait(job_ids=job_ids, started=started, deadline=deadline, log_id=log.pk)


def signal_collect(*, log, signal, job_ids, started, skipped_accounts=0) -> tuple[int, dict, str | None]:
    """Wait for the signal's jobs within the response deadline, then build the guide's response.
    Returns (HTTP status, result, log status or None while some accounts are still running)."""
    jobs = _wait(log, job_ids, started)
    orders = jobs_orders(jobs)  # read with the jobs (orders.reads.log_jobs)
    return signal_report(log=log, signal=signal, jobs=jobs, orders=orders, skipped_accounts=skipped_accounts)


def cancel_collect(*, log, job_ids, started) -> tuple[int, dict, str | None]:
    return cancel_report(log=log, jobs=_wait(log, job_ids, started))
