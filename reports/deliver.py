"""Report delivery: a directory, SMTP e-mail (HTML + plain text), a webhook (JSON POST).

The targets and their checks are reports/targets.py (re-exported here, the package's face for
delivery); Apprise is reports/notify.py. Secrets are never logged: errors pass through `scrub`.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chihwatch.deadline import Deadline
from chihwatch.errors import ChihwatchError, ConfigError, OutputError
from chihwatch.urls import redact_url
from reports.model import BEIJING
from reports.targets import (
    DEFAULT_DEADLINE,
    DirectoryTarget,
    Secret,
    SmtpTarget,
    Target,
    WebhookTarget,
    apprise_type,
    scrub,
    target_from_config,
    target_key,
    target_type,
)

__all__ = [
    "DEFAULT_DEADLINE",
    "DeliveryError",
    "Outcome",
    "deliver_each",
    "send_test",
    "target_key",
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

# What a webhook's answer may be: the status line counts, the body is read only this far.
_MAX_ANSWER = 64 * 1024


class DeliveryError(OutputError):
    """One or more delivery targets failed; `.delivered` lists what did go out."""

    def __init__(
        self,
        failures: Sequence[str],
        delivered: Sequence[str] = (),
        outcomes: Sequence[Outcome] = (),
    ) -> None:
        self.failures = list(failures)
        self.delivered = list(delivered)
        self.outcomes = list(outcomes)
        super().__init__(
            f"report delivery failed for {len(self.failures)} target(s): "
            + "; ".join(self.failures)
        )


def _day(dt: datetime) -> datetime:
    # Name and title reports by the site's (Beijing) calendar day, whatever zone the caller used.
    return dt.astimezone(BEIJING) if dt.tzinfo else dt


def report_basename(since: datetime, until: datetime) -> str:
    """File name stem shared by every format of one report."""
    return f"chihwatch-report-{_day(since):%Y%m%d}-{_day(until):%Y%m%d}"


def report_title(data: Mapping[str, Any], since: datetime, until: datetime) -> str:
    """国家高新区密集部署周报 2024-02-05–2024-02-12：新增1期，修改1期[，可疑页面N个]."""
    s = data.get("summary") or {}
    new = s.get("new_installments", len(data.get("new_installments") or []))
    edited = s.get("edited_installments", len(data.get("revisions") or []))
    text = f"国家高新区密集部署周报 {_day(since):%Y-%m-%d}–{_day(until):%Y-%m-%d}：新增{new}期，修改{edited}期"
    if s.get("suspects"):
        text += f"，可疑页面{s['suspects']}个"
    return text


def _subject(data: Mapping[str, Any], since: datetime, until: datetime, prefix: str) -> str:
    return f"{prefix} {report_title(data, since, until)}".strip()


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
            _replace_text(path, render(data, fmt))
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
    _replace_text(path, render(data, "atom", self_url=self_url))
    return path


def _replace_text(path: Path, text: str) -> None:
    """Write then rename: a reader (or a crash) never sees half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def build_email(
    target: SmtpTarget, data: Mapping[str, Any], since: datetime, until: datetime
) -> EmailMessage:
    """The e-mail: text/plain (Markdown) and text/html alternatives."""
    from reports import render

    return _email(
        target,
        _subject(data, since, until, target.subject_prefix),
        render(data, "md"),
        render(data, "html"),
    )


def _email(target: SmtpTarget, subject: str, plain: str, html: str | None) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = target.sender
    msg["To"] = ", ".join(target.recipients)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain="chihwatch.local")
    msg.set_content(plain, subtype="plain", charset="utf-8")
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8")
    return msg


def _to_smtp(
    target: SmtpTarget,
    data: Mapping[str, Any],
    since: datetime,
    until: datetime,
    *,
    msg: EmailMessage | None = None,
) -> list[str]:
    msg = msg or build_email(target, data, since, until)
    where = f"{target.host}:{target.port}"
    logger.info(
        "sending report to %s via %s (%s, user %s)",
        ", ".join(target.recipients),
        where,
        target.security,
        target.username or "-",
    )
    with Deadline(target.deadline, f"e-mail via {where}") as dl:
        try:
            # Certificates are always verified (host name included); ca_file only adds trust anchors.
            context = ssl.create_default_context()
            if target.ca_file:
                context.load_verify_locations(cafile=target.ca_file)
            timeout = dl.socket_timeout(target.timeout)
            if target.security == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(timeout=timeout, context=context)
            else:
                client = smtplib.SMTP(timeout=timeout)
            # Created unconnected so the deadline watches the socket from its first byte;
            # smtplib keeps the TLS server name only from its constructor's host argument.
            client._host = target.host
            # Read at expiry: STARTTLS swaps the socket, and connect() creates it.
            dl.watch(lambda: getattr(client, "sock", None))
            # Never set_debuglevel(): smtplib's debug output prints the AUTH exchange (the password).
            with client:
                client.connect(target.host, target.port)
                if target.security == "starttls":
                    client.starttls(context=context)
                if target.username:
                    client.login(
                        target.username, target.password.reveal() if target.password else ""
                    )
                refused = client.send_message(msg)
        except (smtplib.SMTPException, OSError, ValueError, UnicodeError) as exc:
            if dl.expired:
                raise OutputError(
                    f"e-mail via {where} {_expired(dl)} after {target.deadline:g}s"
                ) from None
            detail = scrub(f"{type(exc).__name__}: {exc}", target.password)
            raise OutputError(f"e-mail via {where} failed: {detail}") from None
    if refused:
        logger.warning("recipients refused: %s", ", ".join(refused))
    return [f"mailto:{r}" for r in target.recipients if r not in refused]


def _expired(dl: Deadline) -> str:
    return "interrupted (daemon stopping)" if dl.reason == "stopping" else "did not finish"


def post_json(
    target: WebhookTarget, payload: Mapping[str, Any], *, user_agent: str = "chihwatch-report"
) -> int:
    """POST `payload` as JSON within the target's deadline; the HTTP status, or OutputError."""
    where = redact_url(target.url.reveal())
    body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": user_agent}
    headers.update(dict(target.headers))
    if target.token:
        headers["Authorization"] = f"Bearer {target.token.reveal()}"
    parts = urlsplit(target.url.reveal())
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    logger.info("posting %d bytes to webhook %s", len(body), where)
    with Deadline(target.deadline, f"webhook {where}") as dl:
        conn: http.client.HTTPConnection | None = None
        try:
            timeout = dl.socket_timeout(target.timeout)
            if parts.scheme == "https":
                conn = http.client.HTTPSConnection(
                    parts.hostname or "",
                    parts.port,
                    timeout=timeout,
                    context=ssl.create_default_context(),
                )
            else:
                conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
            dl.watch(lambda: getattr(conn, "sock", None))
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            status = response.status
            response.read(_MAX_ANSWER)
        except (http.client.HTTPException, OSError, ValueError, UnicodeError) as exc:
            # HTTPException covers garbage answers (BadStatusLine, LineTooLong, IncompleteRead):
            # they are this target's failure, never an escape that aborts the other targets.
            if dl.expired:
                raise OutputError(
                    f"webhook {where} {_expired(dl)} after {target.deadline:g}s"
                ) from None
            detail = scrub(f"{type(exc).__name__}: {exc}", target.url, target.token)
            raise OutputError(f"webhook {where} failed: {detail}") from None
        finally:
            if conn is not None:
                conn.close()
    if not 200 <= status < 300:
        raise OutputError(f"webhook {where} answered HTTP {status}")
    logger.debug("webhook %s answered HTTP %d", where, status)
    return status


def _to_webhook(target: WebhookTarget, data: Mapping[str, Any]) -> list[str]:
    post_json(target, data)
    return [redact_url(target.url.reveal())]


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
    if isinstance(target, apprise_type()):
        return target.send_report(data, fmts, since=since, until=until)
    raise ConfigError(f"not a delivery target: {type(target).__name__}")


def send_test(target: Target) -> list[str]:
    """A short test message to one target (`chihwatch notify --test`); returns where it went."""
    now = datetime.now(BEIJING)
    text = f"chihwatch 测试消息 / test message, {now:%Y-%m-%d %H:%M} 北京时间: this target works."
    if isinstance(target, DirectoryTarget):
        path = target.path / "chihwatch-test-message.txt"
        try:
            target.path.mkdir(parents=True, exist_ok=True)
            _replace_text(path, text + "\n")
        except OSError as exc:
            raise OutputError(f"cannot write to {target.path}: {exc.strerror or exc}") from None
        return [str(path)]
    if isinstance(target, SmtpTarget):
        msg = _email(target, f"{target.subject_prefix} test message".strip(), text, None)
        return _to_smtp(target, {}, now, now, msg=msg)
    if isinstance(target, WebhookTarget):
        post_json(target, {"chihwatch": "test", "message": text, "sent_at": now.isoformat()})
        return [redact_url(target.url.reveal())]
    if isinstance(target, apprise_type()):
        return target.send_test()
    raise ConfigError(f"not a delivery target: {type(target).__name__}")


@dataclass
class Outcome:
    """What happened to one target: where it went, or why not."""

    index: int
    key: str
    describe: str
    where: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def failure(self) -> str:
        """`target: why`, without saying the target twice when the reason already names it."""
        err = self.error or ""
        return err if err.startswith(self.describe) else f"{self.describe}: {err}"


def deliver_each(targets: Sequence[Any], send: Any, *, log: bool = True) -> list[Outcome]:
    """Call `send(target)` for every target, each isolated from the others.

    A target that cannot even be built (a config only invalid now: an environment variable gone),
    that raises anything at all, or that overruns its deadline fails alone; the rest still go."""
    outcomes: list[Outcome] = []
    for i, raw in enumerate(targets):
        key = target_key(raw) if isinstance(raw, Mapping) else f"target-{i}"
        label = _label(raw)
        try:
            target = target_from_config(raw) if isinstance(raw, Mapping) else raw
            label = target.describe()
            where = list(send(target))
        except ChihwatchError as exc:
            outcomes.append(Outcome(i, key, label, error=_one_line(exc)))
        except Exception as exc:  # a bug or a library's surprise: still this target only
            outcomes.append(Outcome(i, key, label, error=f"{type(exc).__name__}: {_one_line(exc)}"))
        else:
            outcomes.append(Outcome(i, key, label, where=where))
            continue
        if log:
            logger.error("delivery failed: %s", outcomes[-1].failure)
    return outcomes


def _label(raw: Any) -> str:
    if isinstance(raw, Mapping):
        return f"{target_type(raw) or 'unknown'} target"
    describe = getattr(raw, "describe", None)
    return describe() if callable(describe) else type(raw).__name__


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
