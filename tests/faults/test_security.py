"""Security: only http(s) on the configured hosts is fetched; report HTML escapes what came from the
web; SQL goes through bound parameters; secrets stay out of logs, messages and reports."""

from __future__ import annotations

import ast
import json
import logging
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from lxml import html as lxml_html

from chihwatch.demo.mirror import MirrorServer
from chihwatch.errors import NotFound
from storage import open_store
from tests.support.crawlkit import LAYOUT, ROOT, crawl_fast, path_of, record_figures
from tests.support.faults import Canary, FaultPlan, extra_links, redirect
from tests.support.storecheck import consistency_problems, snapshot

PAGES = ROOT / "fixtures" / "pages"

# -- fetching: scope ------------------------------------------------------------------------------


@pytest.fixture
def canary() -> Iterator[Canary]:
    try:
        c = Canary("127.0.0.2").start()
    except OSError as exc:  # a system without the 127/8 loopback range
        pytest.skip(f"cannot listen on 127.0.0.2: {exc}")
    yield c
    c.stop()


def test_only_http_on_the_configured_hosts_is_fetched(
    site: MirrorServer, plan: FaultPlan, store_url: str, canary: Canary
) -> None:
    """Links and redirects to other hosts, internal addresses and other schemes are never followed."""
    cp = canary.port
    bait = "".join(
        f'<li><h3><a href="{href}">国家高新区密集部署 2024年这样干！{mark}</a></h3></li>'
        for href, mark in [
            ("file:///etc/passwd", "⑨"),
            ("ftp://127.0.0.1/pub/x.html", "⑩"),
            (f"http://127.0.0.2:{cp}/html/hotnews/yaowen/2024/0301/1.html", "⑪"),
            ("http://169.254.169.254/latest/meta-data/", "⑫"),
            ("http://localhost:{port}/html/hotnews/yaowen/2024/0302/2.html", "⑬"),
            ("gopher://127.0.0.1:70/1", "⑭"),
            ("javascript:alert(1)", "⑮"),
            (f"//127.0.0.2:{cp}/html/hotnews/yaowen/2024/0303/3.html", "⑯"),
            # Parser-confusion tricks: userinfo that looks like our host, a backslash before the @.
            (f"http://127.0.0.1:{{port}}@127.0.0.2:{cp}/html/hotnews/yaowen/2024/0304/4.html", "⑰"),
            (
                f"http://127.0.0.2:{cp}\\@127.0.0.1:{{port}}/html/hotnews/yaowen/2024/0305/5.html",
                "⑱",
            ),
            (f"http://0x7f000002:{cp}/html/hotnews/yaowen/2024/0306/6.html", "⑲"),
        ]
    )
    old_list = LAYOUT["start_paths"][0]
    plan.add("bait_links", extra_links(bait), lambda p: p == old_list)
    plan.add(
        "redirect_canary",
        redirect(f"http://127.0.0.2:{cp}/stolen.html"),
        lambda p: p == path_of("2024-1"),
    )
    plan.add(
        "redirect_localhost",
        redirect("http://localhost:{port}" + path_of("2024-3")),
        lambda p: p == path_of("2024-2"),
    )
    plan.add(
        "redirect_internal", redirect("http://10.255.255.1/admin"), lambda p: p == path_of("2024-3")
    )
    plan.add("redirect_file", redirect("file:///etc/shadow"), lambda p: p == path_of("2024-4"))
    plan.add(
        "redirect_ftp", redirect("ftp://127.0.0.1/x.html", 301), lambda p: p == path_of("2023-3")
    )
    summary = crawl_fast(store_url, site)

    assert plan.hits.get("bait_links") == 1 and plan.hits.get("redirect_canary") >= 1
    own = f"127.0.0.1:{site.port}"
    hosts = {r.host for r in site.request_log}
    assert hosts == {own}, f"requests with another Host header reached the mirror: {hosts - {own}}"
    assert canary.connections == [], "the crawler connected to 127.0.0.2"
    never = LAYOUT["never_requested"]
    asked = {r.path.split("?")[0] for r in site.request_log}
    assert never["robots_disallowed"] not in asked and never["sidebar_only"] not in asked

    snap = snapshot(store_url)
    for url in snap.pages:
        assert url.startswith(f"http://{own}/"), f"the store holds a page from elsewhere: {url}"
    for f in snap.fetches:
        err = f["error"] or ""
        # A contact attempt would be a connection error; out-of-scope targets are refused before that.
        assert "Connection" not in err and "DNS" not in err, err
    redirected = {f["url"]: f["error"] for f in snap.fetches if f["error"]}
    for key in ("2024-1", "2024-2", "2024-3", "2024-4", "2023-3"):
        assert site.url + path_of(key) in redirected, f"{key}: the refused redirect left no trace"
    assert len(snap.revisions) == 9 and consistency_problems(store_url) == []
    assert summary.new_installments == 0
    record_figures(faults_injected=6, runs_survived=1)


# -- report HTML escapes what came from the web ---------------------------------------------------

PAYLOADS = [
    "<script>alert('xss-1')</script>",
    '<img src=x onerror="alert(2)">',
    '"><svg onload=alert(3)>',
    "javascript:alert(4)",
    "]]></content><evil/>",
]


def _poisoned(page: bytes) -> bytes:
    """A real page with the payloads as *text* (entity-escaped in its HTML) in title and body."""
    text = page.decode("utf-8")
    esc = "".join(
        p.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
        for p in PAYLOADS
    )
    text = text.replace(
        "<h1>", "<h1>" + esc, 1
    )  # before the series name: the marker must end the title
    text = text.replace(
        '<div class="content" id="content">',
        '<div class="content" id="content"><p>岁末年初，各国家高新区密集部署。' + esc + "</p>"
        "<script>alert('raw-script')</script>",
        1,
    )
    return text.encode("utf-8")


def test_report_html_escapes_everything_from_the_web(tmp_path: Path) -> None:
    import reports

    page = (PAGES / "chih2019-2024-03.html").read_bytes()
    url = "http://www.chinahightech.com/html/hotnews/yaowen/2024/0131/5698921.html"
    now = datetime.now(UTC)
    with open_store(f"sqlite:///{tmp_path / 'x.db'}") as store:
        store.record_response(
            url,
            status=200,
            headers={"Content-Type": "text/html; charset=utf-8"},
            body=page,
            fetched_at=now - timedelta(hours=2),
        )
        bad = store.record_response(
            url,
            status=200,
            headers={"Content-Type": "text/html; charset=utf-8"},
            body=_poisoned(page),
            fetched_at=now,
        )
        assert bad.revision_new and not bad.suspect, bad
        data = store.report_data(now - timedelta(hours=1), now + timedelta(hours=1))
    assert data["revisions"], "the poisoned page made no revision to report"
    as_json = json.dumps(data, ensure_ascii=False)
    assert "alert('xss-1')" in as_json  # the payload is in the data, as text
    assert "raw-script" not in as_json  # a real <script> element is never article text

    clean = reports.render({**data, "revisions": [], "new_installments": []}, "html")
    out = reports.render(data, "html")
    doc = lxml_html.document_fromstring(out)
    base = lxml_html.document_fromstring(clean)
    # Only the template's own scripts and no event-handler attributes or javascript: links.
    assert len(doc.xpath("//script")) == len(base.xpath("//script"))
    assert not doc.xpath(
        "//svg[@onload] | //img[@onerror] | //*[@onerror or @onload or @onmouseover]"
    )
    assert not [
        a for a in doc.xpath("//@href | //@src") if a.strip().lower().startswith("javascript:")
    ]
    assert not doc.xpath("//evil")
    assert "alert('xss-1')" in doc.text_content()  # shown to the reader as text
    assert "&lt;script&gt;" in out or "&#60;script" in out

    atom = reports.render(data, "atom")
    tree = etree.fromstring(atom.encode("utf-8"))  # well-formed: nothing broke out of its element
    assert not tree.xpath("//*[local-name()='evil']")
    md = reports.render(data, "md")
    # Markdown renders raw HTML: every "<" from the web must come escaped (\\<) or as an entity.
    assert not re.search(r"(?<!\\)<(?:script|img|svg|evil|/content)", md), md


# -- SQL only through bound parameters ------------------------------------------------------------

EVIL = "'; DROP TABLE pages; --"


def test_sql_injection_strings_round_trip(db_url: str) -> None:
    page = (PAGES / "chih2019-2024-03.html").read_text("utf-8")
    page = page.replace("<h1>", f"<h1>{EVIL} ", 1)
    url = f"http://www.chinahightech.com/html/{EVIL}/2024/0131/5698921.html?q=1' OR '1'='1"
    with open_store(db_url) as store:
        res = store.record_response(
            url,
            status=200,
            headers={"Content-Type": "text/html; charset=utf-8", "ETag": f'"{EVIL}"'},
            body=page.encode(),
        )
        assert res.installment_new, res
        listed = store.list_installments()
        assert [i["title"] for i in listed] and EVIL in listed[0]["title"]
        assert store.show(url)["title"] == listed[0]["title"]
        assert store.conditional_headers(url) == {"If-None-Match": f'"{EVIL}"'}
        # A part of a title names an installment (issue 15): the title holds EVIL, so EVIL finds
        # it, as text compared in Python, never as SQL.
        assert store.show(EVIL)["title"] == listed[0]["title"]
        for ref in ("1 OR 1=1", "2024-3' --", "http://x/'; DELETE FROM installments; --"):
            with pytest.raises(NotFound):
                store.show(ref)
        assert store.status()["pages"] == 1 and store.status()["installments"] == 1
    assert consistency_problems(db_url) == []


_ALLOWED_FORMATTED_SQL = {
    # (file, start of the statement): values are the code's own integers/keywords, never input.
    ("storage/db.py", "PRAGMA busy_timeout"),
    ("storage/db.py", "BEGIN"),
}
_SQL_CALLS = {"execute", "exec_driver_sql", "text", "executescript", "executemany"}


def _only_constants(node: ast.expr) -> bool:
    """An f-string or concatenation whose only inserted values are module CONSTANTS (table names)."""
    parts = (
        [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
        if isinstance(node, ast.JoinedStr)
        else [node.left, node.right]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)
        else None
    )
    if parts is None:
        return False
    return all(
        (isinstance(p, ast.Name) and p.id.isupper())
        or isinstance(p, ast.Constant)
        or (isinstance(p, ast.JoinedStr) and _only_constants(p))
        for p in parts
    )


def _formatted_sql_calls() -> list[tuple[str, int, str]]:
    found = []
    for pkg in ("storage", "crawler", "reports", "scheduler", "parsers", "chihwatch"):
        for path in sorted((ROOT / pkg).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            tree = ast.parse(path.read_text("utf-8"))
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and node.args):
                    continue
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                if name not in _SQL_CALLS:
                    continue
                arg = node.args[0]
                formatted = (
                    isinstance(arg, ast.JoinedStr)
                    or (isinstance(arg, ast.BinOp) and isinstance(arg.op, (ast.Mod, ast.Add)))
                    or (isinstance(arg, ast.Call) and getattr(arg.func, "attr", None) == "format")
                )
                if not formatted:
                    continue
                src = ast.get_source_segment(path.read_text("utf-8"), arg) or ""
                head = re.sub(r"^[fr]*[\"']+", "", src).strip()
                if any(rel == f and head.startswith(s) for f, s in _ALLOWED_FORMATTED_SQL):
                    continue
                if _only_constants(arg):
                    continue
                found.append((rel, node.lineno, src[:80]))
    return found


def test_no_sql_is_built_from_strings() -> None:
    """Every SQL statement with a value in it binds the value; none is formatted into the text."""
    assert _formatted_sql_calls() == []


# -- secrets ------------------------------------------------------------------------------------------

SMTP_PASSWORD = "pw-Sm7p-0f-chihwatch-93"
WEBHOOK_TOKEN = "tok-Wh-77-chihwatch-secret"
WEBHOOK_PATH_SECRET = "hooks/T0KEN-IN-PATH-5150"


class _Hook(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        _Hook.seen.append(
            {
                "path": self.path,
                "auth": self.headers.get("Authorization"),
                "body": self.rfile.read(length),
            }
        )
        code = 500 if "fail" in self.path else 204
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_secrets_never_in_logs_messages_or_reports(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from aiosmtpd.controller import Controller

    import reports
    from reports.deliver import DeliveryError

    class Inbox:
        messages: list[bytes] = []

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            Inbox.messages.append(envelope.content)
            return "250 OK"

    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        smtp_port = sk.getsockname()[1]
    smtp = Controller(
        Inbox(),
        hostname="127.0.0.1",
        port=smtp_port,
        auth_require_tls=False,
        authenticator=lambda *a: __import__("aiosmtpd.smtp").smtp.AuthResult(success=True),
    )
    smtp.start()
    hook = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    hport = hook.server_address[1]
    now = datetime.now(UTC)
    page = (PAGES / "chih2019-2024-03.html").read_bytes()
    try:
        caplog.set_level(logging.DEBUG)
        with open_store(f"sqlite:///{tmp_path / 's.db'}") as store:
            store.record_response(
                "http://www.chinahightech.com/html/hotnews/yaowen/2024/0131/5698921.html",
                status=200,
                headers={"Content-Type": "text/html; charset=utf-8"},
                body=page,
                fetched_at=now,
            )
            targets = [
                {"type": "directory", "path": str(tmp_path / "out")},
                {
                    "type": "smtp",
                    "host": "127.0.0.1",
                    "port": smtp_port,
                    "security": "none",
                    "from": "cw@example.org",
                    "to": ["a@example.org"],
                    "username": "cw",
                    "password": SMTP_PASSWORD,
                },
                {
                    "type": "webhook",
                    "url": f"http://127.0.0.1:{hport}/{WEBHOOK_PATH_SECRET}",
                    "token": WEBHOOK_TOKEN,
                },
                # Failing targets: their error messages are where secrets leak most often.
                {
                    "type": "webhook",
                    "url": f"http://127.0.0.1:{hport}/fail/{WEBHOOK_PATH_SECRET}",
                    "token": WEBHOOK_TOKEN,
                },
                {
                    "type": "smtp",
                    "host": "127.0.0.1",
                    "port": 1,
                    "security": "none",
                    "from": "cw@example.org",
                    "to": ["a@example.org"],
                    "username": "cw",
                    "password": SMTP_PASSWORD,
                    "timeout": 5,
                },
            ]
            with pytest.raises(DeliveryError) as err:
                reports.publish(
                    store,
                    now - timedelta(hours=1),
                    now + timedelta(hours=1),
                    formats=("html", "md", "json", "atom"),
                    targets=targets,
                )
    finally:
        smtp.stop()
        hook.shutdown()
        hook.server_close()

    delivered = err.value.delivered
    assert (
        delivered
        and len(Inbox.messages) == 1
        and any(s["auth"] == f"Bearer {WEBHOOK_TOKEN}" for s in _Hook.seen)
    )
    texts = {
        "error": str(err.value),
        "delivered": "\n".join(delivered),
        "log": "\n".join(
            f"{r.name} {r.getMessage()} {r.exc_text or ''}"
            for r in caplog.records
            if not r.name.startswith("mail.log")
        ),
        "email": b"\n".join(Inbox.messages).decode("utf-8", "replace"),
        "webhook bodies": b"\n".join(s["body"] for s in _Hook.seen).decode("utf-8", "replace"),
    }
    for out in sorted((tmp_path / "out").rglob("*")):
        if out.is_file():
            texts[f"report {out.name}"] = out.read_text("utf-8", "replace")
    assert any(k.startswith("report ") for k in texts)
    for where, text in texts.items():
        for secret in (SMTP_PASSWORD, WEBHOOK_TOKEN, WEBHOOK_PATH_SECRET):
            assert secret not in text, f"{secret!r} leaked into the {where}"


def test_status_and_config_errors_never_print_secrets(tmp_path: Path) -> None:
    cfg = tmp_path / "daemon.toml"
    cfg.write_text(
        f'database = "postgresql+psycopg://cw:{SMTP_PASSWORD}@127.0.0.1:1/x"\n'
        "[[report.targets]]\n"
        f'type = "webhook"\nurl = "http://127.0.0.1:1/{WEBHOOK_PATH_SECRET}"\ntoken = "{WEBHOOK_TOKEN}"\n'
        "[[report.targets]]\n"
        f'type = "smtp"\nhost = "127.0.0.1"\nfrom = "a@b.c"\nto = "d@e.f"\npassword = "{SMTP_PASSWORD}"\n'
        'security = "bogus"\n',
        "utf-8",
    )
    exe = Path(sys.executable).parent / "chihwatch"
    for args in (
        ["status", "--config", str(cfg)],
        ["status", "--config", str(cfg), "--json"],
        ["daemon", "--config", str(cfg)],
    ):
        proc = subprocess.run(
            [str(exe), *args], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
        )
        assert proc.returncode != 0, (args, proc.stdout)
        for secret in (SMTP_PASSWORD, WEBHOOK_TOKEN, WEBHOOK_PATH_SECRET):
            assert secret not in proc.stdout + proc.stderr, (
                f"{secret!r} printed by chihwatch {' '.join(args)}"
            )


@pytest.mark.postgres
def test_database_password_not_on_a_command_line(
    site: MirrorServer, plan: FaultPlan, pg_url: str
) -> None:
    """Any local user can read a process's command line (ps, /proc/PID/cmdline): the crawl child
    must get the database password some other way (environment, file), never as an argument."""
    from sqlalchemy.engine import make_url

    from tests.support.faults import delayed

    password = make_url(pg_url).password
    assert password, "the test needs a database URL with a password"
    mine = f"127.0.0.1:{site.port}/".encode()  # the child's start URLs name this test's mirror
    plan.add("slow_site", delayed(0.3, plan.stop), lambda p: p.endswith(".html"))
    box: dict[str, object] = {}
    t = threading.Thread(
        target=lambda: box.setdefault("summary", crawl_fast(pg_url, site)), daemon=True
    )
    t.start()
    seen: list[bytes] = []
    while t.is_alive() and not seen:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmd = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"crawler" in cmd and mine in cmd:
                seen.append(cmd)
        time.sleep(0.05)
    t.join(timeout=120)
    assert seen, "never saw the crawl child"
    leaked = [c.replace(b"\0", b" ").decode() for c in seen if password.encode() in c]
    if leaked:  # pytest.fail, not assert: the assertion's own report would print the password
        pytest.fail(
            "the database password is on the crawl child's command line: "
            + leaked[0].replace(password, "<PASSWORD>")
        )
