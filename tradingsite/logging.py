"""Last line of defence against secrets in logs: we never log them, and this filter masks any
webhook token or key-looking value that slips into a message anyway."""

import logging
import re

# Webhook tokens have a recognisable prefix; the key=value form covers payloads and ccxt params.
_PATTERNS = [
    re.compile(r"whk_[A-Za-z0-9_\-]{8,}"),
    re.compile(
        r"""(?P<key>["']?(?:token|user_token|secret|api_secret|apikey|api_key|passphrase|password|signature)["']?\s*[:=]\s*["']?)[^"',&\s}]+""",
        re.IGNORECASE,
    ),
]


def redact(text: str) -> str:
    text = _PATTERNS[0].sub("whk_***", text)
    return _PATTERNS[1].sub(lambda match: match.group("key") + "***", text)


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
