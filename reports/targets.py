"""Delivery targets: what a report can be sent to, and how a config table becomes one.

A target is checked whole when it is built (`target_from_config`): the daemon refuses a bad one
at start-up instead of failing at the first report a week later. Secrets (SMTP password, webhook
token or URL) come from the config or from environment variables it names; they are wrapped in
`Secret`, whose repr/str is masked, and never logged. Sending is reports/deliver.py.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import urlsplit

from chihwatch.durations import parse_duration
from chihwatch.errors import ConfigError
from chihwatch.urls import MASK, redact_url

if TYPE_CHECKING:
    from reports.notify import AppriseTarget

__all__ = [
    "DEFAULT_DEADLINE",
    "DirectoryTarget",
    "Secret",
    "SmtpTarget",
    "Target",
    "WebhookTarget",
    "check_http_url",
    "header_safe",
    "scrub",
    "seconds",
    "target_from_config",
    "target_key",
    "target_type",
]

# Every delivery as a whole (connect, TLS, login, upload, answer) ends within this many seconds,
# however slowly the server drips its answer; `deadline = "5m"` in a target changes it.
DEFAULT_DEADLINE = 120.0
MAX_SECONDS = 3600.0


class Secret:
    """A string that never shows itself in repr/str/format; `.reveal()` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True)
class DirectoryTarget:
    """Write one file per format into a directory (created if missing).

    With "atom" among the formats it also rewrites `feed.atom` beside the dated files: one stable
    path to subscribe to, its `rel="self"` link `feed_url` (where the directory is published) or
    else the file's own file:// URI.
    """

    path: Path
    feed_url: str | None = None

    def describe(self) -> str:
        return f"directory {self.path}"


@dataclass(frozen=True)
class SmtpTarget:
    """Send the report as one e-mail: HTML part plus a plain-text (Markdown) part."""

    host: str
    sender: str
    recipients: tuple[str, ...]
    port: int = 587
    security: str = "starttls"  # "starttls" | "ssl" | "none"
    username: str | None = None
    password: Secret | None = None
    timeout: float = 30.0  # per socket operation
    subject_prefix: str = "[chihwatch]"
    ca_file: str | None = None  # extra CA bundle for a server with a private certificate
    deadline: float = DEFAULT_DEADLINE  # the whole delivery

    def describe(self) -> str:
        return f"smtp {self.host}:{self.port} to {', '.join(self.recipients)}"


@dataclass(frozen=True)
class WebhookTarget:
    """POST the report dict as JSON to a URL (bearer token optional)."""

    url: Secret  # webhook URLs often carry their secret in the path (Slack, WeCom, DingTalk)
    token: Secret | None = None
    headers: tuple[tuple[str, str], ...] = ()
    timeout: float = 30.0
    deadline: float = DEFAULT_DEADLINE

    def describe(self) -> str:
        return f"webhook {redact_url(self.url.reveal())}"


def apprise_type() -> type[AppriseTarget]:
    """reports.notify.AppriseTarget, imported late: reports.notify imports this module."""
    from reports.notify import AppriseTarget

    return AppriseTarget


# What target_from_config builds; AppriseTarget lives in reports/notify.py, which imports this.
Target: TypeAlias = "DirectoryTarget | SmtpTarget | WebhookTarget | AppriseTarget"


def _secret(cfg: Mapping[str, Any], key: str, *, required: bool = False) -> Secret | None:
    """`key` from the config itself, or from the environment variable named by `key_env`."""
    env_name = cfg.get(f"{key}_env")
    if env_name:
        if not isinstance(env_name, str):
            raise ConfigError(f"{key}_env: expected the name of an environment variable")
        value = os.environ.get(env_name)
        if value is None:
            raise ConfigError(f"environment variable {env_name} (for {key}) is not set")
        return Secret(value)
    if cfg.get(key) is not None:
        if not isinstance(cfg[key], str):
            raise ConfigError(f"{key}: expected a string")
        return Secret(cfg[key])
    if required:
        raise ConfigError(f"delivery target needs {key} or {key}_env")
    return None


# Keys each target type accepts; anything else is a typo and an error at start-up.
_KEYS: dict[str, set[str]] = {
    "directory": {"type", "path", "feed_url"},
    "smtp": {
        "type",
        "host",
        "port",
        "security",
        "from",
        "to",
        "recipients",
        "username",
        "password",
        "password_env",
        "timeout",
        "deadline",
        "subject_prefix",
        "ca_file",
    },
    "webhook": {"type", "url", "url_env", "token", "token_env", "headers", "timeout", "deadline"},
    "apprise": {"type", "url", "url_env", "title_prefix", "attach", "link", "timeout", "deadline"},
}
_ALIASES = {"dir": "directory", "email": "smtp"}


def target_type(cfg: Mapping[str, Any]) -> str:
    """The canonical type name of a target table ("directory", "smtp", "webhook", "apprise")."""
    kind = str(cfg.get("type") or "").lower()
    return _ALIASES.get(kind, kind)


def target_key(cfg: Mapping[str, Any]) -> str:
    """A stable short id of a target's configuration (env variable names, never their values):
    a failed delivery is retried to the target with the same key after a restart."""
    blob = json.dumps(dict(cfg), sort_keys=True, ensure_ascii=False, default=str)
    return f"{target_type(cfg) or 'target'}-{hashlib.sha256(blob.encode()).hexdigest()[:12]}"


def header_safe(value: str, what: str) -> str:
    """Refuse CR, LF and NUL in anything that becomes a mail or HTTP header (header injection)."""
    if any(c in value for c in "\r\n\0"):
        raise ConfigError(f"{what}: contains a line break or NUL, which would inject headers")
    return value


def seconds(cfg: Mapping[str, Any], key: str, default: float) -> float:
    """A positive, finite duration of at most an hour (`30`, `"90s"`, `"2m"`)."""
    value = cfg.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(f"{key}: expected seconds or a duration like 90s, got {value!r}")
    secs = parse_duration(value, what=key)
    if secs > MAX_SECONDS:
        raise ConfigError(f"{key}: at most 1h, got {value!r}")
    return secs


def _text(cfg: Mapping[str, Any], key: str) -> str:
    value = cfg[key]
    if not isinstance(value, str):
        raise ConfigError(f"{key}: expected a string, got {value!r}")
    return value


def target_from_config(cfg: Mapping[str, Any]) -> Target:
    """A target from one config table: `type = "directory" | "smtp" | "webhook" | "apprise"`.

    Everything that can be checked without sending is checked here, so a daemon refuses a bad
    target when it starts instead of failing at the first report a week later."""
    if not isinstance(cfg, Mapping):
        raise ConfigError("delivery target: expected a table with a type")
    kind = target_type(cfg)
    if kind not in _KEYS:
        raise ConfigError(
            f"unknown delivery target type {cfg.get('type')!r} (directory, smtp, webhook, apprise)"
        )
    unknown = sorted(set(cfg) - _KEYS[kind])
    if unknown:
        raise ConfigError(
            f"unknown key {unknown[0]!r} in a {kind} target (known: {', '.join(sorted(_KEYS[kind]))})"
        )
    try:
        if kind == "directory":
            if not cfg.get("path"):
                raise ConfigError("directory target needs path")
            feed_url = cfg.get("feed_url")
            return DirectoryTarget(
                Path(_text(cfg, "path")).expanduser(), _text(cfg, "feed_url") if feed_url else None
            )
        if kind == "smtp":
            return _smtp_from_config(cfg)
        if kind == "webhook":
            return _webhook_from_config(cfg)
        return apprise_type().from_config(cfg)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"bad {kind} delivery target: {exc}") from None


def _smtp_from_config(cfg: Mapping[str, Any]) -> SmtpTarget:
    to = cfg.get("to") or cfg.get("recipients")
    recipients = (to,) if isinstance(to, str) else tuple(to or ())
    if not cfg.get("host") or not cfg.get("from") or not recipients:
        raise ConfigError("smtp target needs host, from and to")
    if not all(isinstance(r, str) for r in recipients):
        raise ConfigError("smtp to: expected addresses (strings)")
    security = str(cfg.get("security", "starttls")).lower()
    if security not in ("starttls", "ssl", "none"):
        raise ConfigError(f"smtp security must be starttls, ssl or none, not {security!r}")
    default_port = {"starttls": 587, "ssl": 465, "none": 25}[security]
    port = cfg.get("port", default_port)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ConfigError(f"smtp port: expected a TCP port 1-65535, got {port!r}")
    username = _text(cfg, "username") if cfg.get("username") else None
    prefix = _text(cfg, "subject_prefix") if "subject_prefix" in cfg else "[chihwatch]"
    for value, what in (
        (_text(cfg, "host"), "smtp host"),
        (_text(cfg, "from"), "smtp from"),
        (username or "", "smtp username"),
        (prefix, "smtp subject_prefix"),
        *((r, "smtp to") for r in recipients),
    ):
        header_safe(value, what)
    ca_file = str(Path(_text(cfg, "ca_file")).expanduser()) if cfg.get("ca_file") else None
    if ca_file and not os.access(ca_file, os.R_OK):
        raise ConfigError(f"smtp ca_file: cannot read {ca_file}")
    return SmtpTarget(
        host=cfg["host"],
        port=port,
        sender=cfg["from"],
        recipients=tuple(recipients),
        security=security,
        username=username,
        password=_secret(cfg, "password"),
        timeout=seconds(cfg, "timeout", 30.0),
        subject_prefix=prefix,
        ca_file=ca_file,
        deadline=seconds(cfg, "deadline", DEFAULT_DEADLINE),
    )


def check_http_url(url: str, what: str) -> None:
    """An http(s) URL with a host, a valid port and no control characters."""
    if any(ord(c) < 33 or c == "\x7f" for c in url):
        raise ConfigError(f"{what}: contains spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError:
        raise ConfigError(f"{what}: not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{what} must be http(s) with a host")


def _webhook_from_config(cfg: Mapping[str, Any]) -> WebhookTarget:
    url = _secret(cfg, "url", required=True)
    assert url is not None
    if urlsplit(url.reveal()).scheme not in ("http", "https"):
        raise ConfigError("webhook url must be http(s)")
    check_http_url(url.reveal(), "webhook url")
    headers = cfg.get("headers") or {}
    if not isinstance(headers, Mapping):
        raise ConfigError("webhook headers: expected a table of name = value")
    checked = []
    for k, v in dict(headers).items():
        if not isinstance(v, str) or not k or any(c in k for c in ":() \t"):
            raise ConfigError(f"webhook header {k!r}: expected a name and a string value")
        header_safe(f"{k}{v}", f"webhook header {k}")
        try:
            f"{k}{v}".encode("latin-1")
        except UnicodeEncodeError:
            raise ConfigError(f"webhook header {k}: HTTP headers must be Latin-1") from None
        checked.append((k, v))
    token = _secret(cfg, "token")
    if token is not None:
        header_safe(token.reveal(), "webhook token")
    return WebhookTarget(
        url=url,
        token=token,
        headers=tuple(checked),
        timeout=seconds(cfg, "timeout", 30.0),
        deadline=seconds(cfg, "deadline", DEFAULT_DEADLINE),
    )


def scrub(text: str, *secrets: Secret | None) -> str:
    """Remove secret values from an error message before it is raised or logged."""
    for secret in secrets:
        if secret and secret.reveal():
            text = text.replace(secret.reveal(), MASK)
    return text
