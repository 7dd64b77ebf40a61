"""Last line of defence against secrets in logs: we never log them, and this filter masks any
webhook token or key-looking value that slips into a message anyway. And a bound on what one
record may cost: a flood of failing requests must not rotate the log history away."""

import logging
import re
import threading
import time
import traceback

# Webhook tokens have a recognisable prefix; the key=value form covers payloads and ccxt params.
_PATTERNS = [
    re.compile(r"whk_[A-Za-z0-9_\-]{8,}"),
    re.compile(
        r"""(?P<key>["']?(?:token|user_token|secret|api_secret|apikey|api_key|passphrase|password|signature)["']?\s*[:=]\s*["']?)[^"',&\s}]+""",
        re.IGNORECASE,
    ),
]

MAX_MESSAGE_CHARS = 2000
MAX_TRACEBACK_FRAMES = 25
MAX_TRACEBACK_CHARS = 6000
REPEAT_WINDOW_SECONDS = 60.0


def redact(text: str) -> str:
    text = _PATTERNS[0].sub("whk_***", text)
    return _PATTERNS[1].sub(lambda match: match.group("key") + "***", text)


def bounded(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"… [{len(text) - limit} characters cut]"


class TaskChatterFilter(logging.Filter):
    """Drops django-q2's three INFO lines per task (enqueued, processing, processed): our job's
    own line says more, and on the hot path each record costs three handlers and the redactor.
    Its warnings, errors and cluster lifecycle lines pass."""

    CHATTER = ("Enqueued [", " processing ", "Processed '")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO:
            return True
        message = str(record.msg)
        return not any(marker in message for marker in self.CHATTER)


class RedactSecretsFilter(logging.Filter):
    # Every handler runs its filters on the same record: redacting it once is enough (the hot
    # path logs a line per signal and job, and the regexes were most of a record's cost).
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):
            return True
        record._redacted = True
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class BoundedFormatter(logging.Formatter):
    """One record, one bounded entry: the message is cut at MAX_MESSAGE_CHARS, a traceback keeps its
    innermost MAX_TRACEBACK_FRAMES frames (a RecursionError has a thousand) and MAX_TRACEBACK_CHARS
    characters, and the whole text is redacted, traceback included (the filter sees only the
    message). Lone surrogates are escaped so a write never fails on them."""

    def formatException(self, ei):  # noqa: N802 (logging's name)
        lines = traceback.format_exception(ei[0], ei[1], ei[2], limit=-MAX_TRACEBACK_FRAMES)
        return bounded("".join(lines).rstrip("\n"), MAX_TRACEBACK_CHARS)

    def formatMessage(self, record):  # noqa: N802
        return bounded(super().formatMessage(record), MAX_MESSAGE_CHARS)

    def format(self, record):
        cached = getattr(record, "_bounded_text", None)
        if cached is not None and cached[0] is self:  # the same record, another handler
            return cached[1]
        text = redact(super().format(record)).encode("utf-8", "backslashreplace").decode("utf-8")
        record._bounded_text = (self, text)
        return text


class RepeatedTracebackFilter(logging.Filter):
    """The same failure (exception type and the line that raised it) gets its traceback once a
    minute per process; repeats within that minute are logged as their one line."""

    def __init__(self, name=""):
        super().__init__(name)
        self._seen: dict[tuple, float] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.exc_info or record.exc_info[1] is None:
            return True
        decided = getattr(record, "_traceback_decided", None)  # one decision for all handlers
        if decided is None:
            decided = self._first_in_window(record.exc_info)
            record._traceback_decided = decided
        if not decided:
            record.exc_info, record.exc_text = None, None
            if not getattr(record, "_traceback_noted", False):
                record.msg = f"{record.getMessage()} (traceback as logged earlier this minute)"
                record.args = None
                record._traceback_noted = True
        return True

    def _first_in_window(self, exc_info) -> bool:
        error_type, _error, tb = exc_info
        last = traceback.extract_tb(tb)[-1:] if tb is not None else []
        where = (last[0].filename, last[0].lineno) if last else ("", 0)
        key = (error_type.__name__, *where)
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 1000:
                self._seen.clear()
            first = now - self._seen.get(key, -REPEAT_WINDOW_SECONDS - 1) > REPEAT_WINDOW_SECONDS
            if first:
                self._seen[key] = now
        return first
