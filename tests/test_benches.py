"""Every bench under bench/ runs in its --quick mode and prints its table (issue 16).

A bench that does not run in CI rots (bench/store.py died with an IndexError for weeks, bench/parse.py
on an import). No timing is asserted here: the figures are ratios read by people; what is checked
is that each bench runs to the end on the real parts and prints the rows its docs/ page quotes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from chihwatch.cli.fixturecheck import fixture_names

ROOT = Path(__file__).resolve().parent.parent
BENCHES = sorted(p.name for p in (ROOT / "bench").glob("*.py"))


def run_bench(name: str, *args: str, timeout: float = 900) -> str:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / name), "--quick", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, (
        f"{name} exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return proc.stdout


def test_every_bench_is_covered_here() -> None:
    # A new bench gets its quick-mode test in this file.
    assert BENCHES == sorted(
        [
            "cli_start.py",
            "crawl.py",
            "daemon_memory.py",
            "faults.py",
            "figures.py",
            "links.py",
            "parse.py",
            "store.py",
            "web.py",
        ]
    )
    for name in BENCHES:
        assert "--quick" in (ROOT / "bench" / name).read_text(encoding="utf-8"), name


@pytest.mark.slow
def test_crawl_bench() -> None:
    out = run_bench("crawl.py")
    rows = dict(
        (m.group(1).strip(), m.group(2).strip())
        for m in re.finditer(r"^\| ([^|]+) \| ([^|]+) \|", out, re.M)
    )
    assert rows["full crawl: articles stored"].startswith("100 "), out
    for measure in (
        "bare Scrapy spider: pages per second",
        "full crawl: pages per second",
        "full crawl: CPU (child)",
        "re-crawl, every page: time (crawl)",
        "re-crawl, revisit policy: time (crawl / wall)",
        "parse alone: pages per second",
        "reparse: pages per second",
    ):
        assert measure in rows, (measure, out)
    assert re.search(r"full crawl: pages per second .*[\d.]+x the bare spider", out), out
    assert re.search(r"re-crawl, every page: requests +\| 107 +\| 107x304", out), out
    assert rows["re-crawl, every page: new revisions"] == "0", out
    # With the revisit policy only robots.txt and the 7 list pages are asked for: 100 pages rest.
    assert re.search(
        r"re-crawl, revisit policy: requests +\| 7 +\| robots.txt and list pages; 100 known pages "
        r"not due \(checked within 1d\), 0 asked",
        out,
    ), out
    assert rows["re-crawl, revisit policy: new revisions"] == "0", out
    assert re.search(r"reparse: .* unchanged 100, new_revisions 0", out), out


@pytest.mark.slow
def test_store_bench() -> None:
    out = run_bench("store.py")
    # Both stores, with new and edited installments in the reported week (the generator used to
    # leave confirmed_at unset, so the report had none and the bench died with an IndexError).
    for kind in ("realistic", "synthetic"):
        row = re.search(
            rf"\| sqlite \| {kind} \(.*\) \| .* \| ([\d.]+)x \((\d+) new, (\d+) edited\) \| (\d+) \|",
            out,
        )
        assert row and int(row.group(2)) > 0 and int(row.group(3)) > 0, (kind, out)
    assert "selecting the week's revisions' rows" in out
    # Re-storing unchanged bytes adds fetch rows only.
    assert re.search(r"\| sqlite \| realistic .* rows: fetches \+320;", out), out
    # The hostile rows: every edited paragraph is found as one changed paragraph.
    for n in (200, 600):
        row = re.search(
            rf"\| {n} \| \d+ ms \| ([\d.]+)x .*\| ([\d.]+)x .*\| {n} changed of {n} \|", out
        )
        assert row, out


@pytest.mark.slow
@pytest.mark.postgres
def test_store_bench_postgres_table(pg_url: str) -> None:
    out = run_bench("store.py", "--backend", "sqlite", "--backend", "postgres", "--pg-url", pg_url)
    row = re.search(
        r"\| realistic \| [\d.]+ ms \((\d+) queries\) \| [\d.]+ ms \((\d+) queries\) \| ([\d.]+)x \|",
        out,
    )
    assert row, out
    # One statement for all the new zones' predecessors on both backends, none per zone (SQLite
    # also counts its explicit BEGIN): PostgreSQL asks fewer queries, and neither asks many.
    assert int(row.group(2)) < int(row.group(1)) <= 20, out


def test_figures_bench() -> None:
    out = run_bench("figures.py", timeout=300)
    assert "extract/parse: median" in out
    for measure in ("targets_cold", "targets_warm", "csv_export", "report_week"):
        assert measure in out


def test_links_bench() -> None:
    out = run_bench("links.py", timeout=120)
    rows = [ln for ln in out.splitlines() if ln.startswith("| 1")]
    assert len(rows) == 2 and "pagination_links" in out, out


def test_parse_bench() -> None:
    out = run_bench("parse.py", timeout=600)
    header = out.splitlines()[0].split()
    for col in ("fixture", "F1", "tagged", "zones", "meta", "trafil.", "gne", "ratio"):
        assert col in header, out
    # Every saved page has its row, beside the peers (trafilatura and gne on the same bytes).
    for name in fixture_names(ROOT / "fixtures" / "pages"):
        assert f"\n{name} " in out, name
    assert "mean body F1 over" in out and "trafilatura" in out and "target <= 3x" in out, out
    assert re.search(r"parse / lxml.html.fromstring time: median [\d.]+x", out), out
    assert "(3 interleaved repeats each)" in out, out
    assert "gate: ok" in out, out


def test_cli_start_bench() -> None:
    out = run_bench("cli_start.py", timeout=600)
    lines = out.splitlines()
    rows = {line.split("  ")[0].strip(): line for line in lines[2:-1]}
    assert set(rows) >= {'python -c "import sqlalchemy"', "chihwatch list", "chihwatch list --json"}
    for name in ("chihwatch list", "chihwatch list --json", "chihwatch show 2024-1 --json"):
        assert rows[name].endswith("no"), rows[name]  # read commands never import Alembic
    assert lines[-1].startswith("goal: chihwatch list <= 2.0x import sqlalchemy:")


@pytest.mark.slow
def test_daemon_memory_bench() -> None:
    out = run_bench("daemon_memory.py", timeout=600)
    assert re.search(r"Daemon resident memory \(3 cycles", out), out
    assert re.search(r"^\s+3\s+[\d.]+\s+[\d.]+$", out, re.M), out
    assert "New installment -> store at a 3s interval (1 trials)" in out, out


@pytest.mark.slow
def test_faults_bench() -> None:
    out = run_bench("faults.py", timeout=900)
    assert "Bad inputs given to the real CLI" in out, out


@pytest.mark.slow
def test_web_bench() -> None:
    out = run_bench("web.py", timeout=900)
    assert "500 installments x 5 revisions" in out, out
    for route in (
        "/installments/{ref}/diff",
        "/zones/{name}",
        "/indicators/{indicator}",
        "/search?q= (FTS5)",
        "/search?q= (2 chars)",
        "/feed.atom",
    ):
        line = next(ln for ln in out.splitlines() if ln.startswith(route + " "))
        assert re.search(r"\d+\.\d+x$", line), line
    rss = re.findall(r"^\s+(\d+)\s+(\d+\.\d)$", out, re.M)
    assert [int(k) for k, _ in rss] == [100, 500, 1000]
    assert "RSS growth after the first 100 requests" in out, out
