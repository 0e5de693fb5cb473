"""Report delivery: a directory, SMTP e-mail (HTML + plain text), a webhook (JSON POST).

Secrets (SMTP password, webhook token or URL) come from the config or from environment variables
it names; they are wrapped in `Secret`, whose repr/str is masked, and never logged.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chihwatch.errors import ConfigError, OutputError
from reports.model import BEIJING

__all__ = [
    "DeliveryError",
    "DirectoryTarget",
    "Secret",
    "SmtpTarget",
    "Target",
    "WebhookTarget",
    "deliver",
    "report_basename",
    "target_from_config",
]

logger = logging.getLogger(__name__)

_MASK = "***"


class Secret:
    """A string that never shows itself in repr/str/format; `.reveal()` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({_MASK!r})"

    def __str__(self) -> str:
        return _MASK

    def __format__(self, spec: str) -> str:
        return _MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


class DeliveryError(OutputError):
    """One or more delivery targets failed; `.delivered` lists what did go out."""

    def __init__(self, failures: Sequence[str], delivered: Sequence[str] = ()) -> None:
        self.failures = list(failures)
        self.delivered = list(delivered)
        super().__init__(
            f"report delivery failed for {len(self.failures)} target(s): "
            + "; ".join(self.failures)
        )


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
    timeout: float = 30.0
    subject_prefix: str = "[chihwatch]"
    ca_file: str | None = None  # extra CA bundle for a server with a private certificate

    def describe(self) -> str:
        return f"smtp {self.host}:{self.port} to {', '.join(self.recipients)}"


@dataclass(frozen=True)
class WebhookTarget:
    """POST the report dict as JSON to a URL (bearer token optional)."""

    url: Secret  # webhook URLs often carry their secret in the path (Slack, WeCom, DingTalk)
    token: Secret | None = None
    headers: tuple[tuple[str, str], ...] = ()
    timeout: float = 30.0

    def describe(self) -> str:
        return f"webhook {redact_url(self.url.reveal())}"


Target = DirectoryTarget | SmtpTarget | WebhookTarget


def redact_url(url: str) -> str:
    """scheme://host[:port]/… — enough to tell targets apart, nothing secret."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _MASK
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    tail = "/…" if (parts.path.strip("/") or parts.query) else "/"
    return f"{parts.scheme}://{host}{tail}"


def _secret(cfg: Mapping[str, Any], key: str, *, required: bool = False) -> Secret | None:
    """`key` from the config itself, or from the environment variable named by `key_env`."""
    env_name = cfg.get(f"{key}_env")
    if env_name:
        value = os.environ.get(str(env_name))
        if value is None:
            raise ConfigError(f"environment variable {env_name} (for {key}) is not set")
        return Secret(value)
    if cfg.get(key) is not None:
        return Secret(str(cfg[key]))
    if required:
        raise ConfigError(f"delivery target needs {key} or {key}_env")
    return None


def target_from_config(cfg: Mapping[str, Any]) -> Target:
    """A target from one config table: `type = "directory" | "smtp" | "webhook"` plus its keys."""
    kind = str(cfg.get("type") or "").lower()
    try:
        if kind in ("directory", "dir"):
            if not cfg.get("path"):
                raise ConfigError("directory target needs path")
            feed_url = cfg.get("feed_url")
            return DirectoryTarget(
                Path(str(cfg["path"])).expanduser(), str(feed_url) if feed_url else None
            )
        if kind in ("smtp", "email"):
            to = cfg.get("to") or cfg.get("recipients")
            recipients = (to,) if isinstance(to, str) else tuple(to or ())
            if not cfg.get("host") or not cfg.get("from") or not recipients:
                raise ConfigError("smtp target needs host, from and to")
            security = str(cfg.get("security", "starttls")).lower()
            if security not in ("starttls", "ssl", "none"):
                raise ConfigError(f"smtp security must be starttls, ssl or none, not {security!r}")
            default_port = {"starttls": 587, "ssl": 465, "none": 25}[security]
            return SmtpTarget(
                host=str(cfg["host"]),
                port=int(cfg.get("port", default_port)),
                sender=str(cfg["from"]),
                recipients=tuple(str(r) for r in recipients),
                security=security,
                username=str(cfg["username"]) if cfg.get("username") else None,
                password=_secret(cfg, "password"),
                timeout=float(cfg.get("timeout", 30.0)),
                subject_prefix=str(cfg.get("subject_prefix", "[chihwatch]")),
                ca_file=str(Path(str(cfg["ca_file"])).expanduser()) if cfg.get("ca_file") else None,
            )
        if kind == "webhook":
            url = _secret(cfg, "url", required=True)
            assert url is not None
            if urlsplit(url.reveal()).scheme not in ("http", "https"):
                raise ConfigError("webhook url must be http(s)")
            headers = cfg.get("headers") or {}
            return WebhookTarget(
                url=url,
                token=_secret(cfg, "token"),
                headers=tuple((str(k), str(v)) for k, v in dict(headers).items()),
                timeout=float(cfg.get("timeout", 30.0)),
            )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"bad {kind} delivery target: {exc}") from None
    raise ConfigError(
        f"unknown delivery target type {cfg.get('type')!r} (directory, smtp, webhook)"
    )


def _day(dt: datetime) -> datetime:
    # Name and title reports by the site's (Beijing) calendar day, whatever zone the caller used.
    return dt.astimezone(BEIJING) if dt.tzinfo else dt


def report_basename(since: datetime, until: datetime) -> str:
    """File name stem shared by every format of one report."""
    return f"chihwatch-report-{_day(since):%Y%m%d}-{_day(until):%Y%m%d}"


def _subject(data: Mapping[str, Any], since: datetime, until: datetime, prefix: str) -> str:
    s = data.get("summary") or {}
    new = s.get("new_installments", len(data.get("new_installments") or []))
    edited = s.get("edited_installments", len(data.get("revisions") or []))
    text = f"国家高新区密集部署周报 {_day(since):%Y-%m-%d}–{_day(until):%Y-%m-%d}：新增{new}期，修改{edited}期"
    if s.get("suspects"):
        text += f"，可疑页面{s['suspects']}个"
    return f"{prefix} {text}".strip()


def _scrub(text: str, *secrets: Secret | None) -> str:
    """Remove secret values from an error message before it is raised or logged."""
    for secret in secrets:
        if secret and secret.reveal():
            text = text.replace(secret.reveal(), _MASK)
    return text


FEED_NAME = "feed.atom"


def _to_directory(
    target: DirectoryTarget,
    data: Mapping[str, Any],
    fmts: Sequence[str],
    since: datetime,
    until: datetime,
) -> list[str]:
    from reports import EXTENSIONS, render

    stem = report_basename(since, until)
    written: list[str] = []
    try:
        target.path.mkdir(parents=True, exist_ok=True)
        for fmt in fmts:
            path = target.path / f"{stem}.{EXTENSIONS[fmt]}"
            tmp = path.with_name(path.name + ".tmp")
            # Write then rename: a reader (or a crash) never sees half a report.
            tmp.write_text(render(data, fmt), encoding="utf-8")
            os.replace(tmp, path)
            written.append(str(path))
        if "atom" in fmts:
            written.append(str(write_feed(target, data)))
    except OSError as exc:
        raise OutputError(f"cannot write report to {target.path}: {exc.strerror or exc}") from None
    return written


def write_feed(target: DirectoryTarget, data: Mapping[str, Any]) -> Path:
    """The stable feed.atom of a directory target (replaced each report, atomically)."""
    from reports import render

    path = target.path / FEED_NAME
    self_url = target.feed_url or path.resolve().as_uri()
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render(data, "atom", self_url=self_url), encoding="utf-8")
    os.replace(tmp, path)
    return path


def build_email(
    target: SmtpTarget, data: Mapping[str, Any], since: datetime, until: datetime
) -> EmailMessage:
    """The e-mail: text/plain (Markdown) and text/html alternatives."""
    from reports import render

    msg = EmailMessage()
    msg["Subject"] = _subject(data, since, until, target.subject_prefix)
    msg["From"] = target.sender
    msg["To"] = ", ".join(target.recipients)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain="chihwatch.local")
    msg.set_content(render(data, "md"), subtype="plain", charset="utf-8")
    msg.add_alternative(render(data, "html"), subtype="html", charset="utf-8")
    return msg


def _to_smtp(
    target: SmtpTarget, data: Mapping[str, Any], since: datetime, until: datetime
) -> list[str]:
    msg = build_email(target, data, since, until)
    logger.info(
        "sending report to %s via %s:%d (%s, user %s)",
        ", ".join(target.recipients),
        target.host,
        target.port,
        target.security,
        target.username or "-",
    )
    try:
        # Certificates are always verified (host name included); ca_file only adds trust anchors.
        context = ssl.create_default_context()
        if target.ca_file:
            context.load_verify_locations(cafile=target.ca_file)
        if target.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                target.host, target.port, timeout=target.timeout, context=context
            )
        else:
            client = smtplib.SMTP(target.host, target.port, timeout=target.timeout)
        # Never set_debuglevel(): smtplib's debug output prints the AUTH exchange (the password).
        with client:
            if target.security == "starttls":
                client.starttls(context=context)
            if target.username:
                client.login(target.username, target.password.reveal() if target.password else "")
            refused = client.send_message(msg)
    except (smtplib.SMTPException, OSError) as exc:
        detail = _scrub(f"{type(exc).__name__}: {exc}", target.password)
        raise OutputError(f"e-mail via {target.host}:{target.port} failed: {detail}") from None
    if refused:
        logger.warning("recipients refused: %s", ", ".join(refused))
    return [f"mailto:{r}" for r in target.recipients if r not in refused]


def _to_webhook(target: WebhookTarget, data: Mapping[str, Any]) -> list[str]:
    where = redact_url(target.url.reveal())
    body = json.dumps(data, ensure_ascii=False, default=str).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "chihwatch-report"}
    headers.update(dict(target.headers))
    if target.token:
        headers["Authorization"] = f"Bearer {target.token.reveal()}"
    request = urllib.request.Request(target.url.reveal(), data=body, headers=headers, method="POST")
    logger.info("posting report (%d bytes) to webhook %s", len(body), where)
    try:
        with urllib.request.urlopen(request, timeout=target.timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        raise OutputError(f"webhook {where} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        detail = _scrub(str(reason), target.url, target.token)
        raise OutputError(f"webhook {where} failed: {detail}") from None
    logger.debug("webhook %s answered HTTP %d", where, status)
    return [where]


def deliver(
    target: Target,
    data: Mapping[str, Any],
    fmts: Sequence[str],
    *,
    since: datetime,
    until: datetime,
) -> list[str]:
    """Deliver one rendered report to one target; returns where it went."""
    if isinstance(target, DirectoryTarget):
        return _to_directory(target, data, fmts, since, until)
    if isinstance(target, SmtpTarget):
        return _to_smtp(target, data, since, until)
    if isinstance(target, WebhookTarget):
        return _to_webhook(target, data)
    raise ConfigError(f"not a delivery target: {type(target).__name__}")
