"""Report delivery: a directory, SMTP e-mail (HTML + plain text), a webhook (JSON POST).

Secrets (SMTP password, webhook token or URL) come from the config or from environment variables
it names; they are wrapped in `Secret`, whose repr/str is masked, and never logged.
"""

from __future__ import annotations

import hashlib
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
from chihwatch.durations import parse_duration
from chihwatch.errors import ChihwatchError, ConfigError, OutputError
from chihwatch.urls import MASK, redact_url
from reports.model import BEIJING

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

# Every delivery as a whole (connect, TLS, login, upload, answer) ends within this many seconds,
# however slowly the server drips its answer; `deadline = "5m"` in a target changes it.
DEFAULT_DEADLINE = 120.0
MAX_SECONDS = 3600.0
# What a webhook's answer may be: the status line counts, the body is read only this far.
_MAX_ANSWER = 64 * 1024


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


def _apprise_target() -> type:
    from reports.notify import AppriseTarget

    return AppriseTarget


Target = Any  # DirectoryTarget | SmtpTarget | WebhookTarget | reports.notify.AppriseTarget


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
        return _apprise_target().from_config(cfg)
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


def scrub(text: str, *secrets: Secret | None) -> str:
    """Remove secret values from an error message before it is raised or logged."""
    for secret in secrets:
        if secret and secret.reveal():
            text = text.replace(secret.reveal(), MASK)
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
    if isinstance(target, _apprise_target()):
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
    if isinstance(target, _apprise_target()):
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
