"""Odd values in the config and on the command line: each is its documented exit code with one
line on stderr, never exit 70 and never silently accepted (issue 10 §5).

Run through the real entry point, `chihwatch.cli.main`, as the console script does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chihwatch.cli import main
from reports import model

ROOT = Path(__file__).resolve().parents[2]


def _main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


SMTP = '[[report.targets]]\ntype = "smtp"\nhost = "127.0.0.1"\nfrom = "a@x.test"\nto = "b@x.test"\n'
HOOK = '[[report.targets]]\ntype = "webhook"\nurl = "http://127.0.0.1:9/hook"\n'

BAD_CONFIGS = [
    ("interval-huge", '[crawl]\ninterval = "99999999999d"\n', "crawl.interval: at most 366d"),
    ("interval-1e400", "[crawl]\ninterval = 1e400\n", "crawl.interval: must be a finite duration"),
    ("interval-nan", "[crawl]\ninterval = nan\n", "crawl.interval: must be a finite duration"),
    ("interval-list", "[crawl]\ninterval = [1, 2]\n", "crawl.interval: expected a duration"),
    (
        "interval-tiny",
        '[crawl]\ninterval = "0.01s"\n',
        "crawl.interval: at least 1m for a real site",
    ),
    ("grace-huge", '[crawl]\nmisfire_grace = "99999999999d"\n', "crawl.misfire_grace: at most"),
    ("report-period-inf", "[report]\nperiod = inf\n", "report.period: must be a finite"),
    ("cron-never", '[report]\ncron = "0 9 31 2 *"\n', "never fires"),
    ("enabled-string", '[report]\nenabled = "false"\n', "report.enabled: expected true or false"),
    (
        "target-unknown-key",
        '[[report.targets]]\ntype = "directory"\npath = "out"\ncolour = "red"\n',
        "unknown key 'colour' in a directory target",
    ),
    (
        "settings-datetime",
        "[crawl.settings]\nCLOSESPIDER_TIMEOUT = 1979-05-27T07:32:00Z\n",
        "crawl.settings.CLOSESPIDER_TIMEOUT: a TOML date/time",
    ),
    ("settings-nested-date", "[crawl.settings]\nX = [1979-05-27]\n", "crawl.settings.X"),
    ("smtp-port", SMTP + "port = 99999\n", "smtp port: expected a TCP port 1-65535"),
    ("smtp-port-bool", SMTP + "port = true\n", "smtp port"),
    ("smtp-timeout-inf", SMTP + "timeout = inf\n", "timeout: must be a finite"),
    ("smtp-timeout-neg", SMTP + "timeout = -1\n", "timeout: must be positive"),
    ("hook-timeout-inf", HOOK + "timeout = inf\n", "timeout: must be a finite"),
    ("hook-deadline-long", HOOK + 'deadline = "2h"\n', "deadline: at most 1h"),
    ("crawl-timeout-inf", "[crawl]\ntimeout = inf\n", "crawl.timeout: must be a finite"),
    ("crawl-timeout-neg", "[crawl]\ntimeout = -1\n", "crawl.timeout: must be positive"),
    (
        "smtp-from-crlf",
        '[[report.targets]]\ntype = "smtp"\nhost = "h"\nfrom = "a@x\\r\\nBcc: evil@x"\nto = "b@x"\n',
        "smtp from: contains a line break",
    ),
    ("smtp-to-crlf", SMTP.replace('"b@x.test"', '["b@x", "c@x\\nBcc: e@x"]'), "smtp to"),
    ("smtp-subject-crlf", SMTP + 'subject_prefix = "[cw]\\r\\nX: 1"\n', "subject_prefix"),
    (
        "hook-header-crlf",
        HOOK + 'headers = { "X-Source" = "cw\\r\\nX-Injected: 1" }\n',
        "webhook header X-Source: contains a line break",
    ),
    ("hook-header-name", HOOK + 'headers = { "X Bad:" = "v" }\n', "webhook header"),
    ("hook-header-nonlatin", HOOK + 'headers = { "X-Zone" = "成都" }\n', "Latin-1"),
    ("hook-token-crlf", HOOK + 'token = "abc\\r\\nX-Injected: 1"\n', "webhook token"),
    (
        "hook-url-space",
        '[[report.targets]]\ntype = "webhook"\nurl = "http://h/a b"\n',
        "webhook url",
    ),
    (
        "hook-url-port",
        '[[report.targets]]\ntype = "webhook"\nurl = "http://h:99999/"\n',
        "webhook url",
    ),
]


@pytest.mark.parametrize(
    ("body", "message"), [c[1:] for c in BAD_CONFIGS], ids=[c[0] for c in BAD_CONFIGS]
)
def test_bad_config_value_is_exit_9_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, message: str
) -> None:
    cfg = tmp_path / "daemon.toml"
    cfg.write_text(body, encoding="utf-8")
    # `status --config` loads the config exactly as `daemon` does, first, and exits either way
    # (on a missing database, 5): a value wrongly accepted can never start a daemon here.
    code, out, err = _main(
        ["status", "--config", str(cfg), "--db", f"sqlite:///{tmp_path}/x.db"], capsys
    )
    assert code == 9, err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"chihwatch: {cfg}: ") and message in err, err
    assert out == ""
    assert not (tmp_path / "x.db").exists()  # refused before anything was opened


def test_the_loopback_mirror_may_be_crawled_every_second(tmp_path: Path) -> None:
    from scheduler.config import config_from_dict

    cfg = config_from_dict(
        {"start_urls": ["http://127.0.0.1:8123/list/"], "crawl": {"interval": "1s"}}
    )
    assert cfg.crawl.interval == 1.0
    # ... and a flag that points the same config at the real site is refused.
    from chihwatch.errors import ConfigError

    with pytest.raises(ConfigError, match="--crawl-interval: at least 1m for a real site"):
        cfg.with_overrides(
            start_urls=["http://www.chinahightech.com/html/hotnews/yaowen/"], crawl_interval="1s"
        )


def test_crlf_in_a_secret_from_the_environment_is_refused_at_start_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CW_TEST_TOKEN", "t0k\r\nX-Injected: 1")
    cfg = tmp_path / "daemon.toml"
    cfg.write_text(HOOK + 'token_env = "CW_TEST_TOKEN"\n', encoding="utf-8")
    code, _, err = _main(["status", "--config", str(cfg)], capsys)
    assert code == 9 and "webhook token: contains a line break" in err and "t0k" not in err


def test_report_until_the_last_day_of_the_calendar_is_usage_not_70(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _main(
        ["--db", f"sqlite:///{tmp_path}/x.db", "report", "--until", "9999-12-31"], capsys
    )
    assert code == 2, err
    assert "'9999-12-31' is past the last date this can handle" in err
    assert "Traceback" not in err and out == ""


def test_show_an_id_past_64_bits_is_not_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path}/x.db"
    assert _main(["--db", db, "db", "upgrade"], capsys)[0] == 0
    code, _, err = _main(["--db", db, "show", "99999999999999999999"], capsys)
    assert code == 6, err
    assert (
        err.strip()
        == "chihwatch: no installment '99999999999999999999' in the store (try `chihwatch list`)"
    )
    code, _, err = _main(["--db", db, "show", "²"], capsys)  # str.isdigit() says yes; int() no
    assert code == 6, err


def test_a_300_character_fixture_name_is_usage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _main(
        ["fixtures", "save", "http://127.0.0.1:9/", "a" * 300, "--dir", str(tmp_path)], capsys
    )
    assert code == 2, err
    assert "at most 100 characters, got 300" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["parse", "ingest"])
def test_a_url_argument_that_is_not_utf8_is_usage(tmp_path: Path, command: str) -> None:
    page = (
        ROOT
        / "fixtures"
        / "pages"
        / sorted(p.name for p in (ROOT / "fixtures" / "pages").glob("*.html"))[0]
    )
    args = [
        sys.executable,
        "-m",
        "chihwatch",
        "--db",
        f"sqlite:///{tmp_path}/x.db",
        command,
        str(page),
    ]
    # Raw bytes as a shell passes them: 0xFF is not UTF-8 (the interpreter surrogate-escapes it).
    args = [a.encode() for a in args] + [b"--url", b"http://www.chinahightech.com/\xff.html"]
    r = subprocess.run(args, capture_output=True, timeout=120)
    assert r.returncode == 2, r.stderr
    err = r.stderr.decode("utf-8", "replace")
    assert "--url" in err and "not valid UTF-8" in err and "Traceback" not in err
    assert r.stdout == b""


def test_markdown_escapes_strikethrough_tildes() -> None:
    # GFM renders ~~text~~ struck through: page text must not be able to strike out a figure.
    assert model.md_escape("增长~~5%~~8%") == r"增长\~\~5%\~\~8%"


def test_the_systemd_units_do_not_restart_on_exits_a_restart_cannot_fix() -> None:
    """README and docs/daemon.md: RestartPreventExitStatus= lists every such code (systemd then
    leaves the unit failed instead of restarting it every RestartSec for ever)."""
    cannot_fix = {"2", "3", "4", "5", "6", "8", "9", "70"}  # chihwatch/errors.py
    for doc in (ROOT / "README.md", ROOT / "docs" / "daemon.md"):
        text = doc.read_text(encoding="utf-8")
        [line] = [ln for ln in text.splitlines() if ln.startswith("RestartPreventExitStatus=")]
        assert set(line.split("=", 1)[1].split()) == cannot_fix, doc
        assert "Restart=on-failure" in text and "ExecReload=/bin/kill -HUP $MAINPID" in text
        assert "StartLimitBurst=" in text
