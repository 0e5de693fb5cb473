"""Delivery against real local servers: SMTP (aiosmtpd), a webhook (http.server), a directory."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import logging
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

import reports
from chihwatch.errors import ConfigError, OutputError
from reports.deliver import DeliveryError, Secret, SmtpTarget, target_from_config

BEIJING = timezone(timedelta(hours=8))
SINCE = datetime(2024, 2, 5, tzinfo=BEIJING)
UNTIL = datetime(2024, 2, 12, tzinfo=BEIJING)
PASSWORD = "s3cr3t-Pa55!word"
USER = "analyst@example.test"


class SampleStore:
    """Stands in for storage.Store where the thing under test is delivery, not the store."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.calls: list[tuple[datetime, datetime]] = []

    def report_data(self, since: datetime, until: datetime) -> dict[str, Any]:
        self.calls.append((since, until))
        return self.data


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == USER.encode()
            and data.password == PASSWORD.encode()
        )
        if ok:
            self.logins.append(data.login.decode())
        # handled=False: let aiosmtpd answer 535 itself on failure.
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=inbox.authenticate,
        auth_require_tls=False,  # a plain local server; real targets default to STARTTLS
    )
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _our_log(caplog: pytest.LogCaptureFixture) -> str:
    """Every record our code (and the stdlib) logged, args included; not the test server's own."""
    lines = []
    for rec in caplog.records:
        if rec.name.startswith("mail.log"):  # aiosmtpd's server-side protocol trace
            continue
        lines.append(f"{rec.name} {rec.getMessage()} {rec.args!r} {rec.exc_text or ''}")
    return "\n".join(lines)


def test_smtp_sends_html_and_plain_parts_and_never_logs_the_password(
    sample: dict[str, Any],
    smtp_server: tuple[_Inbox, int],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    inbox, port = smtp_server
    monkeypatch.setenv("CW_TEST_SMTP_PASSWORD", PASSWORD)
    caplog.set_level(logging.DEBUG)
    target = target_from_config(
        {
            "type": "smtp",
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "from": "chihwatch@example.test",
            "to": ["a@example.test", "b@example.test"],
            "username": USER,
            "password_env": "CW_TEST_SMTP_PASSWORD",
        }
    )
    assert PASSWORD not in repr(target) and PASSWORD not in str(target)
    where = reports.publish(SampleStore(sample), SINCE, UNTIL, formats=["html"], targets=[target])
    assert where == ["mailto:a@example.test", "mailto:b@example.test"]
    assert inbox.logins == [USER]
    assert len(inbox.messages) == 1
    sender, rcpts, raw = inbox.messages[0]
    assert sender == "chihwatch@example.test" and rcpts == ["a@example.test", "b@example.test"]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    assert "新增2期" in msg["Subject"] and "修改2期" in msg["Subject"]
    plain = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "固定资产投资增长[-10-]{+5+}%" in plain and "玉溪高新区" in plain
    assert '固定资产投资增长<del>10</del><span class="to">→</span><ins>5</ins>%' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    logged = _our_log(caplog)
    assert "sending report" in logged  # the log did capture our records
    assert PASSWORD not in logged
    assert base64.b64encode(PASSWORD.encode()).decode() not in logged
    assert base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode() not in logged


def test_smtp_wrong_password_fails_in_one_line_without_the_password(
    sample: dict[str, Any],
    smtp_server: tuple[_Inbox, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    inbox, port = smtp_server
    caplog.set_level(logging.DEBUG)
    wrong = "wr0ng-" + PASSWORD
    target = SmtpTarget(
        host="127.0.0.1",
        port=port,
        security="none",
        sender="c@example.test",
        recipients=("a@example.test",),
        username=USER,
        password=Secret(wrong),
    )
    with pytest.raises(DeliveryError) as info:
        reports.publish(SampleStore(sample), SINCE, UNTIL, formats=["md"], targets=[target])
    message = str(info.value)
    assert isinstance(info.value, OutputError) and "\n" not in message
    assert "SMTPAuthenticationError" in message and "127.0.0.1" in message
    assert wrong not in message and wrong not in _our_log(caplog)
    assert inbox.messages == []


class _Hook(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, str], bytes]] = []
    status = 204

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.path, dict(self.headers), body))
        self.send_response(type(self).status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, fmt: str, *args: Any) -> None:
        pass


@pytest.fixture
def hook_server() -> Iterator[tuple[type[_Hook], str]]:
    handler = type("Hook", (_Hook,), {"received": [], "status": 204})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_webhook_posts_the_report_json(
    sample: dict[str, Any],
    hook_server: tuple[type[_Hook], str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler, base = hook_server
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("CW_TEST_HOOK_URL", f"{base}/hooks/T0K3N-in-path")
    monkeypatch.setenv("CW_TEST_HOOK_TOKEN", "bearer-t0ken")
    store = SampleStore(sample)
    where = reports.publish(
        store,
        SINCE,
        UNTIL,
        formats=["json"],
        targets=[
            {"type": "webhook", "url_env": "CW_TEST_HOOK_URL", "token_env": "CW_TEST_HOOK_TOKEN"}
        ],
    )
    assert store.calls == [(SINCE, UNTIL)]
    assert where == [f"{base}/…"]  # where it went, without the secret path
    assert len(handler.received) == 1
    path, headers, body = handler.received[0]
    assert path == "/hooks/T0K3N-in-path"
    assert headers["Content-Type"].startswith("application/json")
    assert headers["Authorization"] == "Bearer bearer-t0ken"
    assert json.loads(body.decode("utf-8")) == sample
    assert "威海高新区".encode() in body  # UTF-8, not \\u escapes
    logged = _our_log(caplog)
    assert "webhook" in logged and "T0K3N" not in logged and "bearer-t0ken" not in logged


def test_webhook_error_status_is_a_delivery_error(
    sample: dict[str, Any],
    hook_server: tuple[type[_Hook], str],
    tmp_path: Path,
) -> None:
    handler, base = hook_server
    handler.status = 500
    targets = [
        {"type": "directory", "path": str(tmp_path / "out")},
        {"type": "webhook", "url": f"{base}/hooks/S3CRET"},
    ]
    with pytest.raises(DeliveryError) as info:
        reports.publish(SampleStore(sample), SINCE, UNTIL, formats=["md"], targets=targets)
    assert "HTTP 500" in str(info.value) and "S3CRET" not in str(info.value)
    # The directory target before it still delivered, and says so.
    assert info.value.delivered == [str(tmp_path / "out" / "chihwatch-report-20240205-20240212.md")]


def test_webhook_unreachable_is_a_delivery_error(sample: dict[str, Any]) -> None:
    url = f"http://127.0.0.1:{_free_port()}/hook"
    with pytest.raises(DeliveryError, match="webhook http://127.0.0.1:"):
        reports.publish(
            SampleStore(sample),
            SINCE,
            UNTIL,
            formats=["md"],
            targets=[{"type": "webhook", "url": url, "timeout": 5}],
        )


def test_directory_writes_every_format(sample: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "reports" / "weekly"
    where = reports.publish(
        SampleStore(sample),
        SINCE,
        UNTIL,
        formats=["html", "md", "json", "atom"],
        targets=[{"type": "directory", "path": str(out)}],
    )
    names = sorted(Path(p).name for p in where)
    assert names == [
        f"chihwatch-report-20240205-20240212.{e}" for e in ("atom", "html", "json", "md")
    ] + ["feed.atom"]  # the stable feed beside the dated files
    for fmt in reports.FORMATS:
        path = out / f"chihwatch-report-20240205-20240212.{fmt}"
        assert path.read_text(encoding="utf-8") == reports.render(sample, fmt)
    assert sorted(p.name for p in out.iterdir()) == names  # no temporary files left


def test_unwritable_directory_is_a_delivery_error(sample: dict[str, Any], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DeliveryError, match="cannot write report"):
        reports.publish(
            SampleStore(sample),
            SINCE,
            UNTIL,
            formats=["md"],
            targets=[{"type": "directory", "path": str(blocker / "sub")}],
        )


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        ({"type": "ftp"}, "unknown delivery target type 'ftp'"),
        ({"type": "directory"}, "needs path"),
        ({"type": "smtp", "host": "h", "from": "f"}, "needs host, from and to"),
        (
            {"type": "smtp", "host": "h", "from": "f", "to": "t", "security": "tls1"},
            "starttls, ssl or none",
        ),
        (
            {"type": "smtp", "host": "h", "from": "f", "to": "t", "password_env": "CW_NOT_SET_X"},
            "CW_NOT_SET_X",
        ),
        ({"type": "webhook"}, "needs url or url_env"),
        ({"type": "webhook", "url": "file:///etc/passwd"}, "must be http"),
    ],
    ids=["type", "dir-path", "smtp-to", "smtp-security", "smtp-env", "hook-url", "hook-scheme"],
)
def test_bad_target_config_is_a_config_error(cfg: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        target_from_config(cfg)


def test_smtp_defaults_and_secret_masking() -> None:
    t = target_from_config(
        {
            "type": "email",
            "host": "smtp.example.test",
            "from": "f@x",
            "to": "t@x",
            "username": "u",
            "password": "hunter2-long",
        }
    )
    assert isinstance(t, SmtpTarget) and t.port == 587 and t.security == "starttls"
    assert t.recipients == ("t@x",)
    assert "hunter2-long" not in repr(t) and "hunter2-long" not in f"{t.password}"
    assert t.password is not None and t.password.reveal() == "hunter2-long"
    assert (
        target_from_config(
            {"type": "smtp", "host": "h", "from": "f", "to": "t", "security": "ssl"}
        ).port
        == 465
    )


def test_file_names_use_beijing_days(sample: dict[str, Any], tmp_path: Path) -> None:
    """The daemon passes UTC times; 2024-02-04 16:00 UTC is already 2024-02-05 in Beijing."""
    since = datetime(2024, 2, 4, 16, tzinfo=UTC)
    where = reports.publish(
        SampleStore(sample),
        since,
        since + timedelta(days=7),
        formats=["md"],
        targets=[{"type": "directory", "path": str(tmp_path)}],
    )
    assert [Path(p).name for p in where] == ["chihwatch-report-20240205-20240212.md"]


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by itself, as a private mail server might have."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "chihwatch test smtp")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_smtp_starttls_verifies_the_server(sample: dict[str, Any], tmp_path: Path) -> None:
    """The default security: STARTTLS with a verified certificate, AUTH only inside TLS."""
    import ssl

    cert, key = _self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=inbox.authenticate,
        tls_context=server_ctx,
        require_starttls=True,
    )
    controller.start()
    try:
        cfg = {
            "type": "smtp",
            "host": "127.0.0.1",
            "port": port,
            "from": "c@example.test",
            "to": "a@example.test",
            "username": USER,
            "password": PASSWORD,
            "timeout": 10,
        }
        # Without trusting the private CA the certificate is refused and nothing is sent.
        with pytest.raises(
            DeliveryError, match="CERTIFICATE_VERIFY_FAILED|SSLCertVerificationError"
        ):
            reports.publish(SampleStore(sample), SINCE, UNTIL, formats=["md"], targets=[cfg])
        assert inbox.messages == [] and inbox.logins == []
        where = reports.publish(
            SampleStore(sample),
            SINCE,
            UNTIL,
            formats=["md"],
            targets=[dict(cfg, ca_file=str(cert))],
        )
    finally:
        controller.stop()
    assert where == ["mailto:a@example.test"]
    assert inbox.logins == [USER] and len(inbox.messages) == 1


def test_unknown_format_in_publish_is_a_config_error(
    sample: dict[str, Any], tmp_path: Path
) -> None:
    store = SampleStore(sample)
    with pytest.raises(ConfigError, match="unknown report format 'pdf'"):
        reports.publish(
            store,
            SINCE,
            UNTIL,
            formats=["html", "pdf"],
            targets=[{"type": "directory", "path": str(tmp_path)}],
        )
    assert store.calls == [] and list(tmp_path.iterdir()) == []
