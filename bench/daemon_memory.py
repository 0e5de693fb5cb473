"""Daemon benchmark: resident memory over many crawl cycles, and new-installment latency.

Runs a real `chihwatch daemon` process against the mirror site on 127.0.0.1 (politeness delays
off so cycles are fast) and prints a table:

1. Resident memory (VmRSS) of the daemon process after 1 crawl cycle and after N (default 200);
   the ratio is the figure of merit (target: flat, within 10%).
2. With a 10-second crawl interval, the time from a new installment appearing on the mirror
   (state1 -> state2, at a random moment of the cycle) to it being in the store, over several
   trials; its baseline is what the schedule predicts: half an interval plus one crawl's duration,
   measured in the same run.

    python bench/daemon_memory.py [--cycles 200] [--trials 5] [--interval 10] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from chihwatch.demo.mirror import MirrorServer  # noqa: E402
from crawler.settings import POLITE_OFF  # noqa: E402
from scheduler.state import RunLog, make_engine  # noqa: E402


def write_config(path: Path, mirror: MirrorServer, interval: str, db_url: str) -> Path:
    settings = "\n".join(f"{k} = {json.dumps(v)}" for k, v in POLITE_OFF.items())
    path.write_text(
        f"""
database = "{db_url}"
start_urls = ["{mirror.url}/html/hotnews/yaowen/", "{mirror.url}/yaowen/node_479.html"]

[crawl]
interval = "{interval}"
timeout = "120s"

[crawl.settings]
{settings}

[report]
enabled = false
""",
        encoding="utf-8",
    )
    return path


def start_daemon(cfg: Path, log: Path, home: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, CHIHWATCH_HOME=str(home))
    env.pop("CHIHWATCH_DB", None)
    with open(log, "ab") as f:
        return subprocess.Popen(
            [sys.executable, "-m", "chihwatch", "daemon", "--config", str(cfg)],
            cwd=ROOT,
            env=env,
            stdout=f,
            stderr=subprocess.STDOUT,
        )


def stop_daemon(p: subprocess.Popen[bytes]) -> int:
    p.send_signal(signal.SIGTERM)
    return p.wait(30)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def crawl_runs(engine: sa.Engine) -> list[tuple[str, float]]:
    """(status, wall seconds including the child's start) of finished crawl runs, oldest first."""
    try:
        runs = RunLog(engine).recent(100000)
    except sa.exc.OperationalError:  # the table does not exist yet
        return []
    return [
        (r.status, (r.finished - r.started).total_seconds())
        for r in reversed(runs)
        if r.job == "crawl" and r.finished is not None
    ]


def wait_runs(
    engine: sa.Engine, n: int, p: subprocess.Popen[bytes], timeout: float
) -> list[tuple[str, float]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = crawl_runs(engine)
        if len(runs) >= n:
            return runs
        if p.poll() is not None:
            raise RuntimeError(f"daemon exited with {p.returncode}")
        time.sleep(0.1)
    raise RuntimeError(f"only {len(crawl_runs(engine))} of {n} crawl runs within {timeout:.0f}s")


def memory_run(
    mirror: MirrorServer, work: Path, cycles: int, checkpoints: list[int]
) -> dict[int, int]:
    db_url = f"sqlite:///{work / 'mem.db'}"
    # Shorter than a crawl: cycles run back to back (max_instances=1 skips the overlapping ticks).
    cfg = write_config(work / "mem.toml", mirror, "0.5s", db_url)
    p = start_daemon(cfg, work / "mem.log", work)
    engine = make_engine(db_url)
    out: dict[int, int] = {}
    try:
        for n in checkpoints:
            wait_runs(engine, n, p, timeout=30 + 10 * n)
            out[n] = rss_kb(p.pid)
            print(f"  after {n:>4} cycles: {out[n] / 1024:7.1f} MiB", file=sys.stderr, flush=True)
        runs = crawl_runs(engine)
        failed = sum(1 for s, _ in runs if s != "ok")
        if failed:
            print(f"  warning: {failed} crawl runs not ok", file=sys.stderr)
    finally:
        rc = stop_daemon(p)
        engine.dispose()
    assert rc == 0, f"daemon exit {rc}"
    return out


def latency_run(
    mirror: MirrorServer, work: Path, trial: int, interval: float
) -> tuple[float, float]:
    """One trial: (seconds from publish to stored, mean crawl seconds)."""
    mirror.set_state("state1")
    db_url = f"sqlite:///{work / f'lat{trial}.db'}"
    cfg = write_config(work / f"lat{trial}.toml", mirror, f"{interval:g}s", db_url)
    p = start_daemon(cfg, work / f"lat{trial}.log", work)
    engine = make_engine(db_url)
    try:
        wait_runs(engine, 1, p, timeout=60)  # the first crawl stores state 1
        with engine.connect() as conn:
            known = conn.execute(sa.text("SELECT count(*) FROM installments")).scalar()
        time.sleep(random.uniform(0, interval))  # publish at a random moment of the cycle
        mirror.set_state("state2")
        t0 = time.monotonic()
        while True:
            with engine.connect() as conn:
                n = conn.execute(sa.text("SELECT count(*) FROM installments")).scalar()
            if n > known:
                latency = time.monotonic() - t0
                break
            if time.monotonic() - t0 > 5 * interval + 60:
                raise RuntimeError("new installment never reached the store")
            time.sleep(0.05)
        crawl_secs = [s for _, s in crawl_runs(engine)]
    finally:
        rc = stop_daemon(p)
        engine.dispose()
    assert rc == 0, f"daemon exit {rc}"
    return latency, statistics.mean(crawl_secs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cycles", type=int, default=200)
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--interval", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument(
        "--quick", action="store_true", help="3 cycles, 1 trial at 3 s (tests/test_benches.py)"
    )
    args = ap.parse_args()
    if args.quick:
        args.cycles, args.trials, args.interval = 3, 1, 3.0
    random.seed(args.seed)
    checkpoints = sorted(
        {n for n in (1, 10, args.cycles // 2, args.cycles) if 1 <= n <= args.cycles}
    )

    with tempfile.TemporaryDirectory(prefix="chihwatch-bench-daemon-") as tmp:
        work = Path(tmp)
        mirror = MirrorServer(ROOT / "fixtures" / "site", state="state1").start()
        try:
            print(f"memory: {args.cycles} crawl cycles against {mirror.url} ...", file=sys.stderr)
            t0 = time.monotonic()
            rss = memory_run(mirror, work, args.cycles, checkpoints)
            mem_secs = time.monotonic() - t0
            lats: list[float] = []
            crawls: list[float] = []
            for i in range(args.trials):
                lat, crawl = latency_run(mirror, work, i, args.interval)
                print(f"  latency trial {i + 1}: {lat:5.2f}s (crawl {crawl:.2f}s)", file=sys.stderr)
                lats.append(lat)
                crawls.append(crawl)
        finally:
            mirror.stop()

    base = rss[1]
    print()
    print(
        f"Daemon resident memory ({args.cycles} cycles in {mem_secs:.0f}s, "
        f"{mem_secs / args.cycles:.2f}s per cycle)"
    )
    print(f"{'after cycles':>14} {'RSS MiB':>9} {'ratio to 1':>11}")
    for n in checkpoints:
        print(f"{n:>14} {rss[n] / 1024:>9.1f} {rss[n] / base:>11.3f}")
    print()
    # The new page is found when the list page is read, early in a crawl, so a crawl's whole wall
    # time (child start included) bounds the part after the tick: mean <= interval/2 + crawl,
    # worst case <= interval + crawl.
    crawl = statistics.mean(crawls)
    mean_bound = args.interval / 2 + crawl
    worst_bound = args.interval + max(crawls)
    print(f"New installment -> store at a {args.interval:g}s interval ({args.trials} trials)")
    print(f"{'':>14} {'seconds':>9} {'ratio to interval':>18} {'ratio to bound':>15}")
    for label, v, bound in (
        ("mean", statistics.mean(lats), mean_bound),
        ("median", statistics.median(lats), mean_bound),
        ("max", max(lats), worst_bound),
        ("min", min(lats), mean_bound),
    ):
        print(f"{label:>14} {v:>9.2f} {v / args.interval:>18.2f} {v / bound:>15.2f}")
    print(
        f"bound: mean/median/min against interval/2 + mean crawl wall time ({crawl:.2f}s) = "
        f"{mean_bound:.2f}s; max against interval + longest crawl = {worst_bound:.2f}s"
    )


if __name__ == "__main__":
    main()
