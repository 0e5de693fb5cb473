"""`chihwatch demo` end to end through the console script, as a user runs it in an empty folder.

The demo plays the mirror over three simulated weeks; what each week's report must show is read
from the mirror's own layout (fixtures/site/layout.json: the new installment, the edit, the moves,
the removed page) and the demo's timeline, never from a saved demo run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

# The console script pip installed beside this interpreter: what a user types.
CHIHWATCH = Path(sys.executable).with_name("chihwatch")
SITE = Path(__file__).resolve().parents[2] / "fixtures" / "site"
LAYOUT = json.loads((SITE / "layout.json").read_text("utf-8"))


def _run(args: list[str], cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CHIHWATCH_HOME": str(home)}
    env.pop("CHIHWATCH_DB", None)
    env.pop("CHIHWATCH_TZ", None)
    return subprocess.run(
        [str(CHIHWATCH), *args], capture_output=True, text=True, env=env, timeout=300, cwd=cwd
    )


def test_demo_plays_three_weeks_into_its_own_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    proc = _run(["demo"], tmp_path, home)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    demo = tmp_path / "chihwatch-demo"
    assert "kept in ./chihwatch-demo/" in out and (demo / "chihwatch.db").is_file()

    # Week 1: the catalogue (state1); week 2: a quiet week; week 3: state2 then state3.
    first = out[out.index("[1/4]") : out.index("[2/4]")]
    assert f"{len(LAYOUT['states']['state1']['installments'])} new installments:" in first
    assert "baseline of the catalogue" in first
    quiet = out[out.index("[2/4]") : out.index("[3/4]")]
    assert "nothing new" in quiet and "0 pages fetched" in quiet
    week3 = out[out.index("[3/4]") :]
    assert (
        "+ 2025-4" in week3
        and "edited: 2024-2" in week3
        and "[-增长6%左右-]{+增长7%左右+}" in week3
    )
    moved = LAYOUT["states"]["state3"]["redirects"]
    assert f"moved: {len(moved)} installments now at new URLs (history kept" in week3
    assert "answered HTTP 404" in week3 and "suspect pages: 1" in week3

    # Three weekly reports and the stable feed, all in the demo folder.
    reports = demo / "reports"
    stems = sorted({p.stem for p in reports.glob("chihwatch-report-*")})
    assert len(stems) == 3
    for stem in stems:
        assert {p.suffix for p in reports.glob(stem + ".*")} == {".html", ".md", ".json", ".atom"}
    weeks = [json.loads((reports / f"{s}.json").read_text("utf-8")) for s in stems]
    for data in weeks:
        span = datetime.fromisoformat(data["until"]) - datetime.fromisoformat(data["since"])
        assert span == timedelta(days=7)

    base, quiet_week, last = weeks
    assert base["new_installments"] == [] and len(base["baseline"]["installments"]) == 9
    assert base["crawls"]["crawls"] == 1 and base["crawls"]["failed"] == 0

    assert quiet_week["new_installments"] == [] and quiet_week["revisions"] == []
    assert quiet_week["crawls"]["crawls"] == 1 and quiet_week["crawls"]["last_success"]

    assert [(n["year"], n["installment"]) for n in last["new_installments"]] == [(2025, 4)]
    assert last["summary"]["edited_installments"] == 1
    [rev] = last["revisions"]
    edit = LAYOUT["states"]["state2"]["edited"]["2024-2"]
    assert (rev["year"], rev["installment"]) == (2024, 2)
    assert any(
        c["zone"] == edit["zone"]
        and c["before"]
        and edit["before"] in c["before"]
        and edit["after"] in (c["after"] or "")
        for c in rev["changes"]
    )
    assert sorted(m["to"].split(":", 2)[-1].split("/", 1)[1] for m in last["moves"]) == sorted(
        p.lstrip("/") for p in moved.values()
    )
    gone = LAYOUT["states"]["state1"]["installments"]["2023-3"]
    assert [(a["status"], a["url"].endswith(gone)) for a in last["availability"]] == [(404, True)]
    [suspect] = last["suspects"]
    assert suspect["url"].endswith(LAYOUT["states"]["state3"]["installments"]["2025-2"])
    assert last["crawls"]["crawls"] == 2 and last["crawls"]["ok"] == 2

    # The HTML of the last week says all of it, escaped and in Chinese.
    html = out.split("Report written:")[1].split()[0]
    assert Path(html) == reports / f"{stems[-1]}.html"
    page = Path(html).read_text("utf-8")
    assert "迁移到新网址" in page and "可疑页面" in page and "访问异常" in page
    assert "本期 2 次" in page
    # feed.atom: the last week's entries at a stable path that names itself.
    feed = (reports / "feed.atom").read_text("utf-8")
    dated = (reports / f"{stems[-1]}.atom").read_text("utf-8")
    assert (
        f'rel="self" type="application/atom+xml" href="{(reports / "feed.atom").as_uri()}"' in feed
    )
    ids = [line for line in feed.splitlines() if line.startswith("<id>urn:chihwatch:")]
    assert ids and ids == [line for line in dated.splitlines() if line.startswith("<id>urn:")]

    # It says how to look at it, and those commands work on what it left behind.
    assert "chihwatch serve --demo" in out
    db = f"sqlite:///{demo / 'chihwatch.db'}"
    assert f"chihwatch --db {db} list" in out
    listed = _run(["--db", db, "list"], tmp_path, home)
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 10
    shown = _run(["show", "2024年②", "--db", db], tmp_path, home)
    assert shown.returncode == 0 and "revision 2 of 2" in shown.stdout
    # Nothing in the user's data directory.
    assert not home.exists() or not any(home.rglob("*.db"))

    # A second run replaces the first demo, it does not pile a second timeline onto it.
    again = _run(["demo"], tmp_path, home)
    assert again.returncode == 0, again.stderr
    assert "the previous demo there was replaced" in again.stdout
    again_list = _run(["--db", db, "list"], tmp_path, home)
    assert len(again_list.stdout.splitlines()) == 10
    assert len({p.stem for p in reports.glob("chihwatch-report-*")}) == 3


def test_demo_refuses_a_database_that_already_holds_data(tmp_path: Path) -> None:
    from storage import open_store

    db = f"sqlite:///{tmp_path / 'mine.db'}"
    store = open_store(db)
    store.record_response(
        "http://www.chinahightech.com/html/hotnews/yaowen/2024/0206/5700517.html",
        status=200,
        headers={},
        body=(SITE / "state1/html/hotnews/yaowen/2024/0206/5700517.html").read_bytes(),
    )
    store.close()
    proc = _run(["demo", "--db", db], tmp_path, tmp_path / "home")
    assert proc.returncode == 2 and "give --db an empty database" in proc.stderr
    assert not (tmp_path / "chihwatch-demo" / "chihwatch.db").exists()


def test_python_m_chihwatch_is_the_same_program(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "chihwatch", "demo", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and "chihwatch-demo" in proc.stdout
