"""Benchmark of a command's start: read commands on a small store against `import sqlalchemy`.

    python bench/cli_start.py [--runs 15] [--quick]

Issue 16's goal: `chihwatch list` on a small store takes at most 2x `python -c "import sqlalchemy"`
(both whole processes, interpreter start included). Each command runs --runs times, interleaved
round-robin so load on the machine hits every row alike (hyperfine-style); the table shows the
median and the ratio to the `import sqlalchemy` median measured in the same run. The store holds
three saved installments, ingested by the console script before timing. Whether a command imported
Alembic (it must not, on an up-to-date database) is checked once per row with -X importtime.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "fixtures" / "pages"
SAVED = [
    ("chih2019-2024-01", "http://www.chinahightech.com/html/hotnews/yaowen/2024/0123/5696188.html"),
    ("chih2019-2024-02", "http://www.chinahightech.com/html/hotnews/yaowen/2024/0126/5697340.html"),
    ("chih2019-2024-03", "http://www.chinahightech.com/html/hotnews/yaowen/2024/0131/5698921.html"),
]
GOAL = 2.0  # list / import sqlalchemy


def _cli() -> list[str]:
    script = shutil.which("chihwatch", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "chihwatch"]


def _run(argv: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    out = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    took = time.perf_counter() - began
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({out.returncode}): {out.stderr.decode()[:300]}")
    return took


def _imports_alembic(argv: list[str], env: dict[str, str]) -> bool | None:
    if argv[0] != sys.executable:
        return None
    out = subprocess.run(
        [sys.executable, "-X", "importtime", *argv[1:]],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    return any(re.search(r"\|\s+alembic$", line.rstrip()) for line in out.stderr.splitlines())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15, help="runs of each command (default 15)")
    ap.add_argument("--quick", action="store_true", help="3 runs: checks the bench runs")
    args = ap.parse_args(argv)
    runs = 3 if args.quick else max(3, args.runs)

    with tempfile.TemporaryDirectory(prefix="chihwatch-bench-start-") as tmp:
        db = f"sqlite:///{Path(tmp) / 'small.db'}"
        env = {**os.environ, "CHIHWATCH_HOME": tmp}
        env.pop("CHIHWATCH_DB", None)
        cli = _cli()
        for name, url in SAVED:
            _run([*cli, "--db", db, "ingest", str(PAGES / f"{name}.html"), "--url", url], env)
        py = [sys.executable, "-m", "chihwatch"]
        rows: dict[str, list[str]] = {
            "python -c pass": [sys.executable, "-c", "pass"],
            'python -c "import sqlalchemy"': [sys.executable, "-c", "import sqlalchemy"],
            "chihwatch --version": [*py, "--version"],
            "chihwatch list": [*py, "--db", db, "list"],
            "chihwatch list --json": [*py, "--db", db, "list", "--json"],
            "chihwatch show 2024-1 --json": [*py, "--db", db, "show", "2024-1", "--json"],
            "chihwatch db current": [*py, "--db", db, "db", "current"],
        }
        times: dict[str, list[float]] = {k: [] for k in rows}
        for cmd in rows.values():  # warm the page cache and .pyc files
            _run(cmd, env)
        for _ in range(runs):
            for name, cmd in rows.items():
                times[name].append(_run(cmd, env))
        alembic = {name: _imports_alembic(cmd, env) for name, cmd in rows.items()}

    base = statistics.median(times['python -c "import sqlalchemy"'])
    print(f"command start, median of {runs} runs each (interleaved), ratio to import sqlalchemy")
    print(f"{'command':34} {'median s':>9} {'min s':>7} {'÷ sqlalchemy':>13}  alembic imported")
    for name in rows:
        med = statistics.median(times[name])
        flag = alembic[name]
        print(
            f"{name:34} {med:9.3f} {min(times[name]):7.3f} {med / base:12.2f}x  "
            f"{'-' if flag is None else 'yes' if flag else 'no'}"
        )
    ratio = statistics.median(times["chihwatch list"]) / base
    print(f"goal: chihwatch list <= {GOAL:.1f}x import sqlalchemy: {ratio:.2f}x", end="")
    print(" (met)" if ratio <= GOAL else " (NOT met)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
