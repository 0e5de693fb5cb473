"""Scoring saved fixture pages against their expected parse (the `fixtures check` gate).

Body score: precision / recall / F1 over the *multiset of characters* of the body, each character
tagged with the section it belongs to (intro = 0, zone k = k). Whitespace is ignored. Tagging makes a
paragraph filed under the wrong zone cost as much as a missing one; the multiset makes the score
order-insensitive inside a section, which the exact zone check and the paragraph count complement.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chihwatch.errors import ChihwatchError, InputError
from parsers.confidence import SUSPECT_CONFIDENCE

__all__ = [
    "META_FIELDS",
    "F1_FLOOR",
    "CONFIDENCE_FLOOR",
    "Score",
    "FixtureResult",
    "fixtures_dir",
    "fixture_names",
    "body_score",
    "check_fixture",
    "check_all",
    "load_expected",
    "dump_json",
    "SCORES_FILE",
    "baseline_path",
    "fixture_hash",
    "scores_of",
    "load_baseline",
    "gate",
    "pin_scores",
]

META_FIELDS = (
    "title",
    "published",
    "published_precision",
    "source",
    "author",
    "editor",
    "series",
    "year",
    "installment",
    "template",
)
F1_FLOOR = 0.99
# Expected JSON holds a placeholder confidence; a correct parse must still not call itself unsure,
# i.e. not fall below the floor under which the store holds a parse back as a suspect.
CONFIDENCE_FLOOR = SUSPECT_CONFIDENCE


@dataclass(frozen=True)
class Score:
    """Character precision, recall and F1 of a parsed body against the expected one."""

    precision: float
    recall: float
    f1: float


@dataclass(frozen=True)
class FixtureResult:
    """Outcome of one fixture: scores, what differs, and whether it passes."""

    name: str
    expected_error: str | None
    got_error: str | None
    body: Score | None = None
    zones_expected: tuple[str, ...] = ()
    zones_got: tuple[str, ...] = ()
    # Each zone as (heading as printed, known to the gazetteer): compared exactly too.
    headings_expected: tuple[tuple[str, bool], ...] = ()
    headings_got: tuple[tuple[str, bool], ...] = ()
    paragraphs_expected: int = 0
    paragraphs_got: int = 0
    meta_diff: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    template: str | None = None
    confidence: float | None = None
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def zones_ok(self) -> bool:
        return self.zones_expected == self.zones_got and self.headings_expected == self.headings_got


def fixtures_dir() -> Path:
    """$CHIHWATCH_FIXTURES, else fixtures/pages of this checkout or its shipped copy."""
    override = os.environ.get("CHIHWATCH_FIXTURES")
    if override:
        return Path(override)
    from chihwatch.demo.bundled import saved_pages

    return saved_pages()


def fixture_names(directory: Path) -> list[str]:
    """Names of fixtures that have both NAME.html and NAME.json."""
    return sorted(p.stem for p in directory.glob("*.json") if p.with_suffix(".html").exists())


def load_expected(path: Path) -> dict[str, Any]:
    """The expected-parse JSON of a fixture."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise InputError(f"{path} is not valid JSON: {exc}") from None


def dump_json(data: dict[str, Any]) -> str:
    """The on-disk form of an expected parse: UTF-8, indent 2, trailing newline."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _sections(data: dict[str, Any]) -> list[list[str]]:
    return [list(data.get("intro") or [])] + [
        list(z.get("paragraphs") or []) for z in data.get("zones") or []
    ]


def _tagged_chars(sections: Sequence[Iterable[str]]) -> Counter[tuple[int, str]]:
    counts: Counter[tuple[int, str]] = Counter()
    for i, paragraphs in enumerate(sections):
        for text in paragraphs:
            counts.update((i, ch) for ch in text if not ch.isspace())
    return counts


def body_score(expected: dict[str, Any], got: dict[str, Any]) -> Score:
    """Section-tagged character multiset precision/recall/F1 of got's body against expected's."""
    exp = _tagged_chars(_sections(expected))
    out = _tagged_chars(_sections(got))
    common = sum((exp & out).values())
    n_exp, n_out = sum(exp.values()), sum(out.values())
    if n_exp == 0 and n_out == 0:
        return Score(1.0, 1.0, 1.0)
    precision = common / n_out if n_out else 0.0
    recall = common / n_exp if n_exp else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(precision, recall, f1)


def _headings(data: dict[str, Any]) -> tuple[tuple[str, bool], ...]:
    """(heading as printed, known) of every zone; a JSON without `heading` means the name."""
    return tuple(
        (z.get("heading") or z["name"], bool(z.get("known", True))) for z in data.get("zones") or ()
    )


def _count_paragraphs(data: dict[str, Any]) -> int:
    return sum(len(s) for s in _sections(data))


def check_fixture(html_path: Path, expected: dict[str, Any]) -> FixtureResult:
    """Parse one saved page and compare with its expected JSON."""
    from parsers import parse

    name = html_path.stem
    expected_error = expected.get("error")
    try:
        data = html_path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {html_path}: {exc.strerror or exc}") from None
    try:
        got = parse(data, url=expected.get("url")).to_dict()
    except ChihwatchError as exc:
        got_error = type(exc).__name__
        problems = () if got_error == expected_error else (f"raised {got_error}: {exc}",)
        return FixtureResult(name, expected_error, got_error, problems=problems)
    if expected_error:
        return FixtureResult(
            name,
            expected_error,
            None,
            template=got["template"],
            confidence=got["confidence"],
            problems=(f"expected {expected_error}, got an article titled {got['title']!r}",),
        )
    problems: list[str] = []
    score = body_score(expected, got)
    if score.f1 < F1_FLOOR:
        problems.append(f"body F1 {score.f1:.4f} < {F1_FLOOR}")
    zones_exp = tuple(z["name"] for z in expected.get("zones") or ())
    zones_got = tuple(z["name"] for z in got["zones"])
    if zones_exp != zones_got:
        problems.append(f"zones {list(zones_got)} != expected {list(zones_exp)}")
    heads_exp, heads_got = _headings(expected), _headings(got)
    if zones_exp == zones_got and heads_exp != heads_got:
        problems.append(f"zone headings {list(heads_got)} != expected {list(heads_exp)}")
    meta_diff = {
        f: (expected.get(f), got.get(f)) for f in META_FIELDS if expected.get(f) != got.get(f)
    }
    for f, (want, have) in meta_diff.items():
        problems.append(f"{f}: {have!r} != expected {want!r}")
    if got["confidence"] < CONFIDENCE_FLOOR:
        problems.append(f"confidence {got['confidence']} < {CONFIDENCE_FLOOR}")
    return FixtureResult(
        name,
        None,
        None,
        body=score,
        zones_expected=zones_exp,
        zones_got=zones_got,
        headings_expected=heads_exp,
        headings_got=heads_got,
        paragraphs_expected=_count_paragraphs(expected),
        paragraphs_got=_count_paragraphs(got),
        meta_diff=meta_diff,
        template=got["template"],
        confidence=got["confidence"],
        problems=tuple(problems),
    )


def check_all(directory: Path, names: Sequence[str] | None = None) -> list[FixtureResult]:
    """Check the named fixtures (all of them by default)."""
    available = fixture_names(directory)
    if names:
        missing = [n for n in names if n not in available]
        if missing:
            raise InputError(f"no such fixture in {directory}: {', '.join(missing)}")
    chosen = list(names) if names else available
    return [
        check_fixture(directory / f"{n}.html", load_expected(directory / f"{n}.json"))
        for n in chosen
    ]


# -- the regression gate: scores pinned per fixture, never lowered silently --------------------------
#
# Like trafilatura's eval gate (tests/eval_gate.py + eval_baseline.json): every fixture's scores are
# pinned in fixtures/scores.json with a hash of its two files. A run whose score for a fixture is
# below its pin fails, a fixture without a pin fails, and a pin can only be lowered when the
# fixture's files changed (they were reviewed again). Other sections (e.g. figure scores) can be
# added to an entry: the gate compares every numeric score it finds and every boolean that was true.

SCORES_FILE = "scores.json"
# Scores are pinned rounded to this many decimals, and compared rounded the same way.
SCORE_DECIMALS = 4


def baseline_path(directory: Path) -> Path:
    """The pinned scores of a fixture directory: scores.json next to it (fixtures/scores.json)."""
    return directory.parent / SCORES_FILE


def fixture_hash(directory: Path, name: str) -> str:
    """sha256 of a fixture's HTML and expected JSON: a pin holds for these bytes only."""
    import hashlib

    h = hashlib.sha256()
    for suffix in (".html", ".json"):
        h.update((directory / f"{name}{suffix}").read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:16]


def scores_of(result: FixtureResult) -> dict[str, Any]:
    """What the gate pins for one fixture: body F1, zones exact, metadata exact, or the error."""
    if result.body is None:
        return {"ok": result.ok}
    return {
        "f1": round(result.body.f1, SCORE_DECIMALS),
        "zones": result.zones_ok,
        "meta": not result.meta_diff,
    }


def load_baseline(path: Path) -> dict[str, dict[str, Any]]:
    """name -> pinned entry ({"hash": ..., "f1": ..., "zones": ..., "meta": ...})."""
    if not path.exists():
        return {}
    data = load_expected(path)
    return dict(data.get("fixtures") or {})


def gate(
    directory: Path, results: Sequence[FixtureResult], baseline: dict[str, dict[str, Any]]
) -> list[str]:
    """Problems of this run against the pinned scores (empty: the gate passes)."""
    problems: list[str] = []
    for r in results:
        pin = baseline.get(r.name)
        if pin is None:
            problems.append(f"{r.name}: no pinned score (review it, then `fixtures check --pin`)")
            continue
        if pin.get("hash") != fixture_hash(directory, r.name):
            problems.append(
                f"{r.name}: files changed since its score was pinned (re-pin after review)"
            )
            continue
        now = scores_of(r)
        for key, was in pin.items():
            if key == "hash" or key not in now:
                continue
            got = now[key]
            if isinstance(was, bool):
                if was and not got:
                    problems.append(f"{r.name}: {key} was exact when pinned, now is not")
            elif isinstance(was, int | float) and got < was:
                problems.append(f"{r.name}: {key} {got} < pinned {was}")
    return problems


def pin_scores(
    directory: Path, results: Sequence[FixtureResult], path: Path | None = None
) -> list[str]:
    """Pin the scores of these results; refuses (returns the reasons, writes nothing) to lower a
    score of a fixture whose files did not change, or to pin a fixture that fails its check."""
    path = path or baseline_path(directory)
    baseline = load_baseline(path)
    refused = [f"{r.name}: fails its check, not pinned" for r in results if not r.ok]
    lowered = [
        p
        for p in gate(directory, results, baseline)
        if "no pinned score" not in p and "files changed" not in p
    ]
    if refused or lowered:
        return refused + [f"{p} (a pin is never lowered)" for p in lowered]
    for r in results:
        entry = {"hash": fixture_hash(directory, r.name), **scores_of(r)}
        old = baseline.get(r.name) or {}
        # keep sections other tools pinned (they have their own writers)
        baseline[r.name] = {**{k: v for k, v in old.items() if k not in entry}, **entry}
    data = {
        "about": "Scores pinned per fixture by `chihwatch fixtures check --pin`; see docs/fixtures.md.",
        "fixtures": dict(sorted(baseline.items())),
    }
    try:
        path.write_text(dump_json(data), encoding="utf-8")
    except OSError as exc:
        from chihwatch.errors import OutputError

        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    return []
