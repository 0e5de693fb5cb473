"""Issue 15: the command line as people meet it, through the real console script.

The store is filled with `chihwatch ingest` of the mirror's own pages at fixed fetch times:
2024 ② as first published (state1) on 2024-02-05 10:00 UTC, its edit (state2) on 2024-02-07
10:00 UTC, 2024 ⑤ and 2025 ② on 2024-02-05. Expected times below are those instants written
by hand in Beijing time (UTC+8) and in UTC.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "fixtures" / "site"
LAYOUT = json.loads((SITE / "layout.json").read_text("utf-8"))
CHIHWATCH = Path(sys.executable).with_name("chihwatch")
HOST = "http://www.chinahightech.com"


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHIHWATCH_")}
    env["CHIHWATCH_HOME"] = str(tmp / "home")
    env["COLUMNS"] = "80"
    env.update(extra)
    return env


def cli(*args: str, tmp: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHIHWATCH), *args], capture_output=True, text=True, env=_env(tmp, **env), timeout=120
    )


def _page(state: str, ref: str) -> tuple[Path, str]:
    path = LAYOUT["states"][state]["installments"][ref]
    return SITE / state / path.lstrip("/"), HOST + path


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Filled once per module; tests only read it (the fold test works on its own copy)."""
    tmp_path = tmp_path_factory.mktemp("store")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    for state, ref, when in (
        ("state1", "2024-2", "2024-02-05T10:00:00+00:00"),
        ("state1", "2024-5", "2024-02-05T10:05:00+00:00"),
        ("state1", "2025-2", "2024-02-05T10:10:00+00:00"),
        ("state2", "2024-2", "2024-02-07T10:00:00+00:00"),
    ):
        file, url_of = _page(state, ref)
        out = cli(
            "--db", url, "ingest", str(file), "--url", url_of, "--fetched-at", when, tmp=tmp_path
        )
        assert out.returncode == 0, out.stderr
    return url


def test_list_piped_prints_every_field_in_full(db: str, tmp_path: Path) -> None:
    out = cli("--db", db, "list", tmp=tmp_path)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 3  # one line per installment, no table, no header, nothing cut off
    fields = [ln.split("\t") for ln in lines]
    assert [f[0] for f in fields] == ["2024-2", "2024-5", "2025-2"]
    assert fields[0][1] == "国家高新区密集部署 2024年这样干！②"
    assert "成都高新区" in fields[2][3]  # 2025 ②'s zones, whole, as `grep 成都` needs them
    assert fields[0][4] == "2"  # revisions
    assert fields[0][5] == "2024-02-07 18:00"  # last seen, Beijing time
    assert "…" not in out.stdout


def test_list_on_a_terminal_is_a_table(db: str, tmp_path: Path) -> None:
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [str(CHIHWATCH), "--db", db, "list"],
        stdout=follower,
        stderr=subprocess.PIPE,
        env=_env(tmp_path),
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(30) == 0
    os.close(leader)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert "3 installments (times in Asia/Shanghai)" in screen and "┃" in screen


def test_times_are_in_one_zone_and_tz_changes_it(db: str, tmp_path: Path) -> None:
    show = cli("--db", db, "show", "2024-2", tmp=tmp_path)
    assert "2024-02-07 18:00 (Asia/Shanghai)" in show.stdout
    assert "+00:00" not in show.stdout
    diff = cli("--db", db, "diff", "2024-2", tmp=tmp_path)
    assert "2024-02-07 18:00 Asia/Shanghai" in diff.stdout
    utc = cli("--tz", "UTC", "--db", db, "list", tmp=tmp_path)
    assert utc.stdout.splitlines()[0].endswith("2024-02-07 10:00")
    env_zone = cli("--db", db, "show", "2024-2", tmp=tmp_path, CHIHWATCH_TZ="UTC")
    assert "2024-02-07 10:00 (UTC)" in env_zone.stdout
    # JSON keeps ISO 8601 with its offset.
    js = json.loads(cli("--db", db, "list", "--json", tmp=tmp_path).stdout)
    assert js[0]["last_seen"] == "2024-02-07T10:00:00+00:00"
    # The report: the same zone, named; a bare date is a day in that zone.
    period = ["report", "--since", "2024-02-05", "--until", "2024-02-07"]
    bj = cli("--db", db, *period, tmp=tmp_path)
    assert "报告期：2024-02-05 00:00 – 2024-02-08 00:00（北京时间）" in bj.stdout
    in_utc = cli("--tz", "UTC", "--db", db, *period, tmp=tmp_path)
    assert "报告期：2024-02-05 00:00 – 2024-02-08 00:00（UTC）" in in_utc.stdout
    bad = cli("--tz", "Mars/Olympus", "list", "--db", db, tmp=tmp_path)
    assert bad.returncode == 2 and "unknown time zone 'Mars/Olympus'" in bad.stderr


@pytest.mark.parametrize(
    "ref",
    [
        "2024-5",
        "2024-⑤",
        "2024年⑤",
        "2024年5",
        "国家高新区密集部署 2024年这样干！⑤",
        "2024年这样干！⑤",
    ],
)
def test_show_resolves_what_people_type(db: str, tmp_path: Path, ref: str) -> None:
    out = cli("--db", db, "show", ref, "--json", tmp=tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert (data["year"], data["installment"]) == (2024, 5)


def test_show_ambiguous_or_unknown_title_is_not_found(db: str, tmp_path: Path) -> None:
    many = cli("--db", db, "show", "这样干", tmp=tmp_path)
    assert (
        many.returncode == 6
        and "3 installments match '这样干': 2024-2, 2024-5, 2025-2" in many.stderr
    )
    none = cli("--db", db, "show", "2099年①", tmp=tmp_path)
    assert none.returncode == 6 and "2024年⑤" in none.stderr  # says what it accepts


def test_show_revision_n(db: str, tmp_path: Path) -> None:
    edit = LAYOUT["states"]["state2"]["edited"]["2024-2"]
    first = cli("--db", db, "show", "2024年②", "--revision", "1", tmp=tmp_path)
    assert first.returncode == 0 and "revision 1 of 2" in first.stdout
    assert edit["before"] in first.stdout and edit["after"] not in first.stdout
    latest = cli("--db", db, "show", "2024年②", tmp=tmp_path)
    assert "revision 2 of 2" in latest.stdout and edit["after"] in latest.stdout
    missing = cli("--db", db, "show", "2024-2", "-r", "3", tmp=tmp_path)
    assert missing.returncode == 6 and "has no revision 3 (it has 2: 1..2)" in missing.stderr


def test_a_top_level_typo_gets_a_suggestion(tmp_path: Path) -> None:
    out = cli("lsit", tmp=tmp_path)
    assert out.returncode == 2 and "No such command 'lsit'. Did you mean 'list'?" in out.stderr
    out = cli("stauts", tmp=tmp_path)
    # Two close commands (status, targets) are both offered; status must be among them.
    assert "status" in out.stderr.split("Did you mean", 1)[1]


@pytest.mark.parametrize(
    "args",
    [
        ["list"],
        ["show", "2024-5"],
        ["diff", "2024-2"],
        ["report", "--format", "json"],
        ["status"],
        ["db", "current"],
    ],
)
def test_db_after_the_command_means_the_same(db: str, tmp_path: Path, args: list[str]) -> None:
    before = cli("--db", db, *args, tmp=tmp_path)
    after = cli(*args, "--db", db, tmp=tmp_path)
    assert before.returncode == after.returncode == 0, after.stderr
    if args[0] != "report":  # a report's "until" is now
        assert after.stdout == before.stdout
    # Nothing went to the default database.
    assert not (tmp_path / "home").exists() or not any((tmp_path / "home").rglob("*.db"))


def test_report_bad_date_is_usage_with_an_example(db: str, tmp_path: Path) -> None:
    out = cli("report", "--since", "2024/02/05", "--db", db, tmp=tmp_path)
    assert out.returncode == 2
    assert "not a date or ISO 8601 time: '2024/02/05'" in out.stderr
    assert "e.g. 2024-02-05" in out.stderr
    ingest = cli("ingest", "x.html", "--url", HOST, "--fetched-at", "2024/02/05", tmp=tmp_path)
    assert ingest.returncode == out.returncode  # the same kind of mistake, the same code


def test_fixtures_save_onto_an_existing_name_is_usage(tmp_path: Path) -> None:
    (tmp_path / "mine.html").write_text("<html></html>")
    (tmp_path / "mine.json").write_text("{}")
    out = cli(
        "fixtures",
        "save",
        "http://127.0.0.1:9/x.html",
        "mine",
        "--dir",
        str(tmp_path),
        tmp=tmp_path,
    )
    assert out.returncode == 2
    assert "fixture mine already exists" in out.stderr and "--force" in out.stderr
    assert (tmp_path / "mine.html").read_text() == "<html></html>"  # untouched


def test_report_baseline_lists_the_catalogue_in_one_table(db: str, tmp_path: Path) -> None:
    period = ["--since", "2024-02-05", "--until", "2024-02-05"]
    full = cli("--db", db, "report", *period, tmp=tmp_path)
    base = cli("--db", db, "report", "--baseline", *period, tmp=tmp_path)
    assert full.returncode == base.returncode == 0, base.stderr
    assert "- 新增期次：3" in full.stdout and "- 新增期次：0" in base.stdout
    assert "## 基线：开始跟踪时目录中已有的 3 期" in base.stdout
    assert "| 2024年② | 国家高新区密集部署 2024年这样干！② | 2024-01-26 |" in base.stdout
    assert "#### " not in base.stdout  # no zone sections of back issues
    assert len(base.stdout) < len(full.stdout) / 2
    html = cli("--db", db, "report", "--baseline", "--format", "html", *period, tmp=tmp_path)
    assert '<details class="fold" open><summary>目录中已有 3 期</summary>' in html.stdout
    data = json.loads(
        cli("--db", db, "report", "--baseline", "--format", "json", *period, tmp=tmp_path).stdout
    )
    assert data["new_installments"] == [] and len(data["baseline"]["installments"]) == 3


def test_long_sections_of_the_html_report_fold(db: str, tmp_path: Path) -> None:
    # Four new installments or more: each is a <details> with its label as the summary.
    import shutil

    shutil.copy(db.removeprefix("sqlite:///"), tmp_path / "copy.db")
    db = f"sqlite:///{tmp_path / 'copy.db'}"
    for state, ref in (("state1", "2024-1"), ("state1", "2024-3")):
        file, url = _page(state, ref)
        cli(
            "--db",
            db,
            "ingest",
            str(file),
            "--url",
            url,
            "--fetched-at",
            "2024-02-05T11:00:00Z",
            tmp=tmp_path,
        )
    html = cli(
        "--db",
        db,
        "report",
        "--format",
        "html",
        "--since",
        "2024-02-05",
        "--until",
        "2024-02-05",
        tmp=tmp_path,
    )
    assert html.stdout.count('<details class="fold"><summary>') == 5
    assert "<summary>2024年⑤ · 威海高新区、" in html.stdout
