"""The user's guide's examples, kept verbatim as fixture files under tests/webhooks/guide_examples/."""

import json
from pathlib import Path

EXAMPLES = Path(__file__).parent / "webhooks" / "guide_examples"


def guide_example(name: str, token: str) -> dict:
    """The example as the guide writes it, with a real token instead of "your_webhook_token"."""
    payload = json.loads((EXAMPLES / f"{name}.json").read_text())
    payload["token"] = token
    return payload


def guide_response(name: str) -> dict:
    return json.loads((EXAMPLES / f"response_{name}.json").read_text())
