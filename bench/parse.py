"""Benchmark of the parser on the saved fixtures: body F1 against trafilatura and gne, and speed.

    python bench/parse.py [--repeat N] [--dir fixtures/pages] [--quick]

Per fixture: body F1 of chihwatch, trafilatura and gne against the expected JSON, whether the zones
(name, heading as printed) and the metadata are exact (`fixtures check`'s rules), and the time of
`parsers.parse` over the time of a bare `lxml.html.fromstring` on the same bytes (median of N
interleaved repeats, measured in this run). The peers are imported only here (`.[bench]` extra).
`--quick` (3 repeats) is what the test suite runs: it checks that the bench works, not the times.
Exit 1 when a fixture misses a quality target or scores below its pin (fixtures/scores.json);
the time ratio is reported against its target (≤ 3×), never asserted.

F1 here is over the multiset of non-space characters of the whole body *including zone headings*
(peers do not segment, so section tags would be unfair to them); `fixtures check` additionally tags
every character with its section.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lxml.html  # noqa: E402

from chihwatch.cli.fixturecheck import (  # noqa: E402
    baseline_path,
    check_fixture,
    gate,
    load_baseline,
)
from chihwatch.errors import ParseError  # noqa: E402
from parsers import parse  # noqa: E402
from parsers.decode import decode  # noqa: E402
from parsers.model import Article  # noqa: E402


def _chars(text: str) -> Counter[str]:
    return Counter(ch for ch in text if not ch.isspace())


def f1(expected: str, got: str) -> float:
    """F1 of the character multisets of two texts (whitespace ignored)."""
    exp, out = _chars(expected), _chars(got)
    common = sum((exp & out).values())
    if not common:
        return 0.0
    p, r = common / sum(out.values()), common / sum(exp.values())
    return 2 * p * r / (p + r)


# CPU time of this process, not wall time: the ratio must not depend on what else the machine runs
# (other test suites share it); both sides of the ratio are measured the same way, interleaved.
_clock = time.process_time


def _median_time(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = _clock()
        fn()
        times.append(_clock() - t)
    return statistics.median(times)


def _interleaved(fns: list[Callable[[], Any]], repeat: int) -> list[float]:
    """Median time of each function, alternating them so load changes hit all alike."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t = _clock()
            fn()
            times[i].append(_clock() - t)
    return [statistics.median(t) for t in times]


def _ours(data: bytes, url: str | None) -> str | None:
    try:
        return parse(data, url=url).body_text
    except ParseError:
        return None


def _safe_parse(data: bytes, url: str | None) -> None:
    try:
        parse(data, url=url)
    except ParseError:
        pass


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=ROOT / "fixtures" / "pages")
    ap.add_argument("--repeat", type=int, default=40, help="timing repeats per page (median)")
    ap.add_argument("--quick", action="store_true", help="3 repeats (tests/test_benches.py)")
    args = ap.parse_args()
    if args.quick:
        args.repeat = 3

    import trafilatura
    from gne import GeneralNewsExtractor

    warnings.filterwarnings("ignore")
    gne = GeneralNewsExtractor()

    def traf(data: bytes) -> str:
        return trafilatura.extract(data, include_comments=False, include_tables=True) or ""

    def gne_text(data: bytes) -> str:
        try:
            return gne.extract(decode(data).text).get("content") or ""
        except Exception:  # gne raises on pages it cannot handle; that is a zero score
            return ""

    rows = []
    for jpath in sorted(args.dir.glob("*.json")):
        hpath = jpath.with_suffix(".html")
        if not hpath.exists():
            continue
        expected = json.loads(jpath.read_text(encoding="utf-8"))
        data = hpath.read_bytes()
        url = expected.get("url")
        ours = _ours(data, url)
        checked = check_fixture(hpath, expected)
        t_text, g_text = traf(data), gne_text(data)
        base, t_parse = _interleaved(
            [lambda d=data: lxml.html.fromstring(d), lambda d=data, u=url: _safe_parse(d, u)],
            args.repeat,
        )
        t_traf = _median_time(lambda d=data: traf(d), max(3, args.repeat // 8))
        if "error" in expected:
            row = {
                "name": jpath.stem,
                "error": expected["error"],
                "ours": "ok" if ours is None else "ARTICLE?",
                "traf": len(t_text),
                "gne": len(g_text),
            }
        else:
            want = Article.from_dict(expected).body_text
            row = {
                "name": jpath.stem,
                "error": None,
                "ours": f1(want, ours or ""),
                "traf": f1(want, t_text),
                "gne": f1(want, g_text),
            }
        row.update(
            base=base,
            parse=t_parse,
            ratio=t_parse / base,
            traf_ratio=t_traf / base,
            size=len(data),
            result=checked,
            tagged=checked.body.f1 if checked.body else None,
            zones_ok=checked.zones_ok,
            meta_ok=not checked.meta_diff,
        )
        rows.append(row)

    print(
        f"{'fixture':30} {'bytes':>6} {'F1 ours':>8} {'tagged':>7} {'zones':>5} {'meta':>4} "
        f"{'trafil.':>8} {'gne':>8} {'lxml ms':>8} {'parse ms':>9} {'ratio':>6} {'traf×':>6}"
    )
    for r in rows:
        if r["error"]:
            f1s = (
                f"{r['ours']:>8} {'':>7} {'':>5} {'':>4} "
                f"{str(r['traf']) + 'ch':>8} {str(r['gne']) + 'ch':>8}"
            )
        else:
            f1s = (
                f"{r['ours']:8.4f} {r['tagged']:7.4f} {'ok' if r['zones_ok'] else 'NO':>5} "
                f"{'ok' if r['meta_ok'] else 'NO':>4} {r['traf']:8.4f} {r['gne']:8.4f}"
            )
        print(
            f"{r['name']:30} {r['size']:6d} {f1s} {r['base'] * 1e3:8.3f} {r['parse'] * 1e3:9.3f} "
            f"{r['ratio']:6.2f} {r['traf_ratio']:6.1f}"
        )
    arts = [r for r in rows if not r["error"]]
    if arts:
        mean = {k: statistics.mean(r[k] for r in arts) for k in ("ours", "traf", "gne")}
        print(
            f"\nmean body F1 over {len(arts)} articles: chihwatch {mean['ours']:.4f}, "
            f"trafilatura {mean['traf']:.4f}, gne {mean['gne']:.4f}; min chihwatch {min(r['ours'] for r in arts):.4f}"
        )
    ratios = [r["ratio"] for r in rows]
    worst = max(ratios)
    print(
        f"parse / lxml.html.fromstring time: median {statistics.median(ratios):.2f}x, "
        f"max {worst:.2f}x over {len(rows)} pages ({args.repeat} interleaved repeats each); "
        f"target <= {RATIO_TARGET:.0f}x: {'met' if worst <= RATIO_TARGET else 'NOT met'}"
    )
    errs = [r for r in rows if r["error"]]
    for r in errs:
        print(
            f"{r['name']}: expected {r['error']}; chihwatch {r['ours']}, trafilatura {r['traf']} chars, gne {r['gne']} chars"
        )
    # Quality targets (exact by the rules of `fixtures check`) and the regression gate.
    problems = [f"{r['name']}: {p}" for r in rows for p in r["result"].problems]
    pins = baseline_path(args.dir)
    if pins.exists():
        problems += gate(args.dir, [r["result"] for r in rows], load_baseline(pins))
    else:
        print(f"no pinned scores ({pins}): regression gate not applied")
    good = sum(1 for r in arts if r["tagged"] >= 0.99 and r["zones_ok"] and r["meta_ok"])
    print(
        f"quality: {good} of {len(arts)} articles at body F1 >= 0.99 with zones and metadata exact; "
        f"{len(errs) - sum(1 for r in errs if r['ours'] != 'ok')} of {len(errs)} error pages refused; "
        f"gate: {'ok' if not problems else f'{len(problems)} problem(s)'}"
    )
    for problem in problems:
        print(f"  {problem}")
    return 1 if problems else 0


RATIO_TARGET = 3.0


if __name__ == "__main__":
    raise SystemExit(main())
