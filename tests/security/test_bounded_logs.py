"""`logs/app.log` cannot be flooded away: a traceback is cut to its innermost frames and a few
kilobytes, a repeated one is a single line, errors also go to errors.log, rotation is by size."""

import io
import logging
import sys

from django.conf import settings

from tradingsite.logging import MAX_TRACEBACK_CHARS, BoundedFormatter, RepeatedTracebackFilter


def _handler():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(BoundedFormatter("%(levelname)s %(message)s"))
    handler.addFilter(RepeatedTracebackFilter())
    logger = logging.getLogger("tests.bounded")
    logger.addHandler(handler)
    logger.propagate = False
    return logger, handler, stream


def _recurse(n):
    return _recurse(n + 1) if n < 10_000 else n


def test_a_recursion_error_costs_a_few_kilobytes_not_ninety(monkeypatch):
    logger, handler, stream = _handler()
    try:
        try:
            _recurse(0)
        except RecursionError:
            logger.exception("webhook failed")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "RecursionError" in text
    assert len(text) < MAX_TRACEBACK_CHARS + 500
    print(f"one RecursionError's log entry: {len(text)} bytes (limit {sys.getrecursionlimit()} frames deep)")


def test_a_repeated_traceback_is_one_line_within_the_minute():
    logger, handler, stream = _handler()
    try:
        for _ in range(100):
            try:
                raise RuntimeError("same place")
            except RuntimeError:
                logger.exception("webhook failed")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert text.count("Traceback") == 1
    assert text.count("webhook failed") == 100
    assert len(text) < 12_000


def test_a_long_message_is_cut():
    logger, handler, stream = _handler()
    try:
        logger.warning("x" * 100_000)
    finally:
        logger.removeHandler(handler)
    assert len(stream.getvalue()) < 2200


def test_the_files_rotate_by_size_and_errors_have_their_own_file():
    handlers = settings.LOGGING["handlers"]
    for name in ("app_file", "error_file"):
        assert handlers[name]["class"] == "logging.handlers.RotatingFileHandler"
        assert handlers[name]["maxBytes"] > 0 and handlers[name]["backupCount"] >= 5
    assert handlers["error_file"]["level"] == "WARNING"
    assert handlers["error_file"]["filename"].endswith("errors.log")
