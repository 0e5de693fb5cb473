"""Crashes: SIGKILL the crawl child mid-crawl and a store writer mid-write, many times, then restart.

After every kill the store must be consistent (integrity and foreign keys, no duplicated
installment, page or fetch, revisions 1..n with the latest pointer on n, every blob intact), every
write a writer reported as committed must be there, and the next crawl must complete and find
exactly the site's content: no lost page, no false revision, the real edit recorded once.
Kill points come from a seeded RNG, so a failure replays.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chihwatch.demo.mirror import MirrorServer
from tests.support.crawlkit import FAST, LAYOUT, ROOT, crawl_fast, now, record_figures
from tests.support.faults import FaultPlan, delayed
from tests.support.storecheck import consistency_problems, snapshot
from tests.support.writers import kill_group, start_writer

SEED = 20240206
CRAWL_KILLS = 12
WRITER_KILLS = 10


def _is_article(path: str) -> bool:
    return any(
        path.split("?")[0] == p
        for st in LAYOUT["states"].values()
        for p in st["installments"].values()
    )


def _spawn_crawl(db_url: str, site: MirrorServer) -> subprocess.Popen[bytes]:
    """`python -m crawler` exactly as crawl_in_subprocess starts it, but ours to kill."""
    cmd = [
        sys.executable,
        "-m",
        "crawler",
        "--db",
        db_url,
        "--settings-json",
        # One 304 per transaction: this test counts kills that land between two stored pages;
        # a batch of 304s is all-or-nothing by design (tests/faults/test_crash_batch.py).
        json.dumps({**FAST, "CHIHWATCH_NOT_MODIFIED_BATCH": 1}),
        "--summary-out",
        os.devnull,
    ]
    for p in LAYOUT["start_paths"]:
        cmd += ["--start-url", site.url + p]
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen(
        cmd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _kill_mid_crawl(db_url: str, site: MirrorServer, rng: random.Random) -> bool:
    """Start a crawl, SIGKILL it after a random number of article requests; True if it was still running."""
    start = len(site.request_log)
    want = rng.randint(0, 9)
    proc = _spawn_crawl(db_url, site)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if sum(_is_article(r.path) for r in site.log_since(start)) >= want:
            break
        time.sleep(0.01)
    time.sleep(rng.uniform(0, 0.25))  # somewhere between a response and its commit
    alive = proc.poll() is None
    kill_group(proc)
    return alive


@pytest.mark.slow
def test_sigkill_the_crawler_mid_crawl(site: MirrorServer, plan: FaultPlan, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    db_url = f"sqlite:///{tmp_path / 'crash.db'}"
    # Every article answer takes a moment, so kills land between requests, responses and commits.
    plan.add("slow_site", delayed(0.08, plan.stop), _is_article)
    killed = mid_write = 0
    for state in ("state1", "state2"):
        site.set_state(state)
        for _ in range(CRAWL_KILLS // 2):
            before = (
                len(snapshot(db_url).fetches)
                if Path(db_url.removeprefix("sqlite:///")).exists()
                else 0
            )
            killed += _kill_mid_crawl(db_url, site, rng)
            if Path(db_url.removeprefix("sqlite:///")).exists():
                assert consistency_problems(db_url) == [], f"after kill {killed}"
                stored = len(snapshot(db_url).fetches) - before
                # Some pages stored, others not yet: the kill landed in the middle of the writing.
                mid_write += 0 < stored < len(LAYOUT["states"][state]["installments"])
        # Restart: the next crawl completes and holds exactly this state's content.
        t0 = now()
        summary = crawl_fast(db_url, site)
        assert summary.errors == 0, summary.error_messages
        snap = snapshot(db_url)
        assert consistency_problems(db_url) == []
        expected = LAYOUT["states"][state]["installments"]
        assert sorted(f"{i['year']}-{i['number']}" for i in snap.installments) == sorted(expected)
        for key, path in expected.items():
            # No lost page: every installment page has a fetch from the completed crawl.
            fetched = [
                f for f in snap.fetches_of(path) if f["fetched_at"] >= t0.replace(tzinfo=None)
            ]
            assert fetched, f"{key}: not fetched by the crawl after the kills"
            # No false revision; the real edit exactly once.
            year, number = map(int, key.split("-"))
            n_revs = len(snap.revisions_of(year, number))
            want = 2 if state == "state2" and key in LAYOUT["states"]["state2"]["edited"] else 1
            assert n_revs == want, f"{key}: {n_revs} revisions, want {want}"
        # No fetch recorded twice: never more fetch rows for a page than answers the mirror sent it.
        served: dict[str, int] = {}
        for r in site.request_log:
            served[r.path] = served.get(r.path, 0) + 1
        for url in snap.pages:
            path = url.split(str(site.port), 1)[1]
            assert len(snap.fetches_of(path)) <= served.get(path, 0), (
                f"{path}: more fetch rows than responses"
            )
    assert killed >= CRAWL_KILLS // 2, f"only {killed} kills hit a running crawl"
    assert mid_write >= 2, f"only {mid_write} kills landed between two stored pages"
    record_figures(
        crashes_injected=killed,
        runs_survived=killed + 2,
        rows_lost_or_duplicated=0,
        false_revisions=0,
        real_changes_missed=0,
    )


# -- a store writer killed mid-write ----------------------------------------------------------------

WRITER = r"""
import random, sys
from datetime import UTC, datetime, timedelta
from storage import open_store

db, seed, page_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(seed)
page = open(page_file, "rb").read()
store = open_store(db)
base = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=seed)
for i in range(10_000):
    n = rng.randint(0, 3)
    url = f"http://www.chinahightech.com/html/hotnews/yaowen/2024/0131/{n}.html"
    kind = rng.random()
    at = base + timedelta(seconds=i)
    if kind < 0.7:  # the page, with one figure changed now and then (a real edit: a new revision)
        body = page.replace("增长6%".encode(), f"增长{rng.randint(5, 7)}%".encode())
        r = store.record_response(url, status=200, headers={"Content-Type": "text/html; charset=utf-8"},
                                  body=body, fetched_at=at)
    elif kind < 0.85:
        r = store.record_response(url, status=rng.choice([404, 500, 503]), headers={}, body=b"", fetched_at=at)
    else:
        r = store.record_response(url, status=0, headers={}, body=None, error="TimeoutError", fetched_at=at)
    print(f"committed {r.fetch_id}", flush=True)
"""


@pytest.mark.slow
def test_sigkill_a_writer_mid_write(db_url: str, tmp_path: Path) -> None:
    from storage import open_store

    rng = random.Random(SEED)
    script = tmp_path / "writer.py"
    script.write_text(WRITER, "utf-8")
    page = ROOT / "fixtures" / "pages" / "chih2019-2024-03.html"
    open_store(
        db_url
    ).close()  # migrated before the first kill: a kill mid-migration is Alembic's business
    committed: set[int] = set()
    kills = WRITER_KILLS if db_url.startswith("sqlite") else WRITER_KILLS // 2
    for k in range(kills):
        proc = start_writer(script, db_url, str(k), str(page))
        assert proc.stdout is not None
        want = rng.randint(1, 25)
        lines = 0
        while lines < want:
            line = proc.stdout.readline()
            if not line:
                break
            committed.add(int(line.split()[1]))
            lines += 1
        time.sleep(rng.uniform(0, 0.05))
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        kill_group(proc)
        for line in (
            proc.stdout.read().decode().splitlines()
        ):  # commits printed before the kill landed
            committed.add(int(line.split()[1]))
        assert consistency_problems(db_url) == [], f"after kill {k + 1}"

    snap = snapshot(db_url)
    have = {f["id"] for f in snap.fetches}
    assert committed <= have, f"committed fetches lost: {sorted(committed - have)[:10]}"
    assert len(snap.installments) == 1  # four URLs, one installment (2024 ③), never duplicated
    # The next writer runs to completion on the same store.
    with open_store(db_url) as store:
        res = store.record_response(
            "http://www.chinahightech.com/html/hotnews/yaowen/2024/0131/9.html",
            status=200,
            headers={},
            body=page.read_bytes(),
        )
        assert res.installment == ("国家高新区密集部署", 2024, 3) and not res.installment_new
    assert consistency_problems(db_url) == []
    record_figures(
        crashes_injected=kills,
        runs_survived=kills + 1,
        rows_lost_or_duplicated=len(committed - have),
    )


# -- the daemon killed mid-crawl ----------------------------------------------------------------------

DAEMON_KILLS = 3


def _crawl_children(db_url: str) -> list[int]:
    """Pids of `python -m crawler` processes working on this test's database (ours alone: unique path)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if b"crawler" in cmd and db_url.encode() in cmd and state != "Z":
            pids.append(int(entry))
    return pids


@pytest.mark.slow
def test_sigkill_the_daemon_mid_crawl(site: MirrorServer, plan: FaultPlan, tmp_path: Path) -> None:
    """The daemon dies (SIGKILL) while its crawl child writes; a new daemon takes over cleanly."""
    rng = random.Random(SEED + 1)
    db_url = f"sqlite:///{tmp_path / 'daemon.db'}"
    settings = "\n".join(f"{k} = {json.dumps(v)}" for k, v in FAST.items())
    starts = ", ".join(json.dumps(site.url + p) for p in LAYOUT["start_paths"])
    cfg = tmp_path / "daemon.toml"
    cfg.write_text(
        f'start_urls = [{starts}]\n[crawl]\ninterval = "1h"\ntimeout = "60s"\n'
        f'[crawl.settings]\n{settings}\n[report]\ninterval = "1h"\nformats = ["json"]\n'
        f'dir = "{tmp_path / "reports"}"\n',
        "utf-8",
    )
    exe = str(Path(sys.executable).parent / "chihwatch")
    plan.add("slow_site", delayed(0.15, plan.stop), _is_article)
    leftovers: set[int] = set()

    def start_daemon(n: int) -> tuple[subprocess.Popen[bytes], Path]:
        log = tmp_path / f"daemon{n}.log"
        proc = subprocess.Popen(
            [exe, "--db", db_url, "daemon", "--config", str(cfg)],
            stdin=subprocess.DEVNULL,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        return proc, log

    try:
        for n in range(DAEMON_KILLS):
            site.set_state("state1" if n < 2 else "state2")
            mark = len(site.request_log)
            proc, log = start_daemon(n)
            want = rng.randint(1, 8)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and proc.poll() is None:
                if sum(_is_article(r.path) for r in site.log_since(mark)) >= want:
                    break
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.2))
            assert proc.poll() is None, log.read_text()
            leftovers.update(_crawl_children(db_url))
            os.kill(proc.pid, signal.SIGKILL)  # the daemon alone, as the OOM killer would
            proc.wait(timeout=10)
            assert consistency_problems(db_url) == [], f"after daemon kill {n + 1}"

        # A new daemon after the last kill: it must start (the dead one's lock is free), crawl, succeed.
        proc, log = start_daemon(DAEMON_KILLS)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and " ok " not in log.read_text() and proc.poll() is None:
            time.sleep(0.2)
        text = log.read_text()
        assert proc.poll() is None and " ok " in text, text[-3000:]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log.read_text()[-2000:]
        # No crawl child outlives its daemon for long: an unsupervised writer has no time limit.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _crawl_children(db_url):
            time.sleep(0.2)
        orphans = _crawl_children(db_url)
        assert orphans == [], f"crawl children still running after their daemons died: {orphans}"
    finally:
        for pid in leftovers | set(_crawl_children(db_url)):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    assert consistency_problems(db_url) == []
    snap = snapshot(db_url)
    expected = LAYOUT["states"]["state2"]["installments"]
    assert sorted(f"{i['year']}-{i['number']}" for i in snap.installments) == sorted(expected)
    for key in expected:
        year, number = map(int, key.split("-"))
        want = 2 if key in LAYOUT["states"]["state2"]["edited"] else 1
        assert len(snap.revisions_of(year, number)) == want, key
    record_figures(
        crashes_injected=DAEMON_KILLS,
        runs_survived=DAEMON_KILLS + 1,
        rows_lost_or_duplicated=0,
        false_revisions=0,
        real_changes_missed=0,
    )
