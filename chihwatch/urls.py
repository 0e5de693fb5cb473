"""URLs that carry secrets, made fit for logs, messages and `chihwatch status`.

Webhook and notification URLs often hold their secret in the userinfo, the path or the query
(Slack, WeCom, DingTalk, a Telegram bot token): `redact_url` keeps what tells two targets apart,
the scheme, host and port, and nothing else; where a notification scheme puts a token in the
host's place (a bare word, not a network name), that is hidden too. A database URL keeps its path and hides only the
password (`storage.db.safe_url`), since the path is what a reader needs to find the file.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["MASK", "redact_url"]

MASK = "***"
# scheme "://" at the very start: what a URL looks like (a path, `mailto:x` or prose do not).
_URL_START = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def redact_url(text: str) -> str:
    """`scheme://host[:port]/…` for a URL; anything that is not one (a file path, `mailto:…`)
    as it is; `***` for a URL too broken to tell its host from its secret."""
    if not _URL_START.match(text):
        return text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return MASK
    host = parts.hostname or ""
    if host and not _is_network_name(host):
        host = MASK  # Apprise puts tokens where the host goes: slack://TokenA/…, pover://userkey@…
    if port:
        host = f"{host}:{port}"
    tail = "/…" if (parts.path.strip("/") or parts.query) else "/"
    return f"{parts.scheme}://{host}{tail}"


def _is_network_name(host: str) -> bool:
    """A host name people read to tell targets apart (has a dot, an IPv6 colon, or is localhost);
    a bare word in that place is, for the notification schemes, an API key or a token."""
    return "." in host or ":" in host or host == "localhost"
