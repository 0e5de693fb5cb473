"""The import rules between chihwatch's packages, as data (docs/architecture.md#import-rules).

The graph comes from grimp, the engine under import-linter: it resolves relative imports,
`from package import submodule`, imports inside functions and under `if TYPE_CHECKING:` (all of
them count: a lazy or type-only import is still an arrow a reader has to follow). grimp is used
directly rather than through import-linter's contracts so that the rules stay one table in this
file, beside the known exceptions, and a failure lists every offending line.

A rule names importers and the modules they must not import; a name covers the module and
everything below it (`chihwatch.cli` covers `chihwatch.cli.crawl`), `allowed` names
exact modules excepted from `forbidden`.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import grimp
import pytest

PACKAGES = ("chihwatch", "parsers", "storage", "crawler", "scheduler", "reports", "web")
LOWER = ("parsers", "storage", "crawler", "scheduler", "reports", "web")
# chihwatch/ has three floors: the base below, the CLI (click glue and the tools it runs) and the
# demo (mirror server, scenario, shipped mirror data). The tests' fault server is tests/support/.
CLI = ("chihwatch.cli", "chihwatch.__main__")  # `python -m chihwatch` is the CLI too
DEMO_AND_TEST_SERVERS = ("chihwatch.demo", "tests")
# The only modules of chihwatch/ that the lower packages may import. `chihwatch` itself is the
# package's __init__ (its __version__ and a logging NullHandler), not the whole package.
BASE = (
    "chihwatch",
    "chihwatch.errors",
    "chihwatch.paths",
    "chihwatch.deadline",
    "chihwatch.timefmt",
    "chihwatch.durations",
    "chihwatch.urls",
    "chihwatch.lazy",
)


@dataclass(frozen=True)
class Rule:
    importers: tuple[str, ...]
    forbidden: tuple[str, ...]
    why: str
    allowed: tuple[str, ...] = ()
    exact_importers: bool = False  # importers are these modules only, not what lies below them


RULES = (
    Rule(LOWER, CLI, "the CLI is the top floor: nothing below it calls up into it"),
    Rule(LOWER, DEMO_AND_TEST_SERVERS, "demo and test servers are not part of the product"),
    Rule(("chihwatch.demo",), CLI, "the demo serves the CLI, it never calls up into it"),
    Rule(LOWER, ("chihwatch",), "of chihwatch/, lower packages import the base only", BASE),
    Rule(BASE, PACKAGES, "the base imports nothing of the project but the base", BASE, True),
    Rule(("parsers",), ("storage", "crawler", "scheduler", "reports", "web"), "parsing is pure"),
    Rule(("storage",), ("crawler", "scheduler", "reports", "web"), "storage serves, never calls"),
    Rule(("reports",), ("crawler", "scheduler", "web"), "reports render what storage reads"),
)

# Violations in today's code, each with the reason it is not fixed yet. A listed arrow that
# disappears fails the test too, so this list only shrinks.
KNOWN: dict[tuple[str, str], str] = {}


def _covers(names: tuple[str, ...], module: str, exact: bool = False) -> bool:
    return any(module == n or (not exact and module.startswith(n + ".")) for n in names)


def violations(graph: grimp.ImportGraph, root: str = "") -> dict[tuple[str, str], list[str]]:
    """(importer, imported) -> "line N: text" for every import that breaks a rule.

    `root` prefixes every name of the rules (the self-test's packages live under one).
    """

    def pre(names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(root + n for n in names)

    found: dict[tuple[str, str], list[str]] = {}
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            for rule in RULES:
                if (
                    _covers(pre(rule.importers), importer, rule.exact_importers)
                    and _covers(pre(rule.forbidden), imported)
                    and not _covers(pre(rule.allowed), imported, exact=True)
                ):
                    key = (importer.removeprefix(root), imported.removeprefix(root))
                    found[key] = [
                        f"line {d['line_number']}: {d['line_contents']} ({rule.why})"
                        for d in graph.get_import_details(importer=importer, imported=imported)
                    ]
                    break  # the first rule broken names the reason
    return found


def _report(found: dict[tuple[str, str], list[str]]) -> str:
    return "\n".join(f"{a} -> {b}: {'; '.join(lines)}" for (a, b), lines in sorted(found.items()))


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    # tests/ is in the graph so that an import of the tests' servers from the product is an arrow.
    return grimp.build_graph(*PACKAGES, "tests", cache_dir=None)


def test_the_packages_keep_the_import_rules(graph: grimp.ImportGraph) -> None:
    found = violations(graph)
    new = {k: v for k, v in found.items() if k not in KNOWN}
    assert not new, "imports that break the layer rules:\n" + _report(new)


def test_every_known_violation_still_exists(graph: grimp.ImportGraph) -> None:
    gone = sorted(set(KNOWN) - set(violations(graph)))
    assert not gone, f"fixed, so drop them from KNOWN in tests/test_layers.py: {gone}"


def test_the_rules_see_every_package(graph: grimp.ImportGraph) -> None:
    # A package that failed to import into the graph would pass every rule by being absent.
    tops = {m.split(".")[0] for m in graph.modules}
    assert tops == {*PACKAGES, "tests"}
    assert {"chihwatch.cli", "chihwatch.cli.crawl", "parsers.model", "storage.store"} <= set(
        graph.modules
    )
    for name in BASE + CLI + DEMO_AND_TEST_SERVERS + ("tests.support.faults",):
        assert name in graph.modules, f"{name} is named by a rule but is not a module"


def test_every_module_of_chihwatch_is_on_one_floor(graph: grimp.ImportGraph) -> None:
    # A module added beside the base (chihwatch/x.py) would be outside every rule's reach.
    floors = [m for m in graph.modules if m.split(".")[0] == "chihwatch"]
    stray = [m for m in floors if m not in BASE and not _covers(CLI + ("chihwatch.demo",), m)]
    assert not stray, (
        f"put these in chihwatch/cli/ or chihwatch/demo/, or name them in BASE: {stray}"
    )


# A small house in which every kind of import the rules must catch appears once, beside imports
# the rules allow. The expected violations below are written by hand from these sources.
_HOUSE = {
    "chihwatch/__init__.py": "",
    "chihwatch/errors.py": "class ChihwatchError(Exception): ...\n",
    "chihwatch/paths.py": "from . import errors\n",
    "chihwatch/deadline.py": "",
    "chihwatch/timefmt.py": "def later():\n    from ..storage import db\n",
    "chihwatch/cli/__init__.py": "from ...storage import db\n",
    "chihwatch/cli/crawl.py": "from house.crawler import run\n",
    "chihwatch/cli/fixturecheck.py": "from house import parsers\n",
    "chihwatch/demo/__init__.py": "",
    "chihwatch/demo/mirror.py": "from house.chihwatch.cli import argcheck\n",
    "chihwatch/demo/bundled.py": "",
    "chihwatch/cli/argcheck.py": "from house.chihwatch.demo import bundled\n",
    "chihwatch/stray.py": "",
    "tests/__init__.py": "",
    "tests/support/__init__.py": "",
    "tests/support/faults.py": "from house.chihwatch.demo import mirror\n",
    "parsers/__init__.py": "from house.chihwatch.errors import ChihwatchError\n",
    "parsers/clean.py": "from ..storage import db\n",
    "storage/__init__.py": "from house.parsers import clean\n",
    "storage/db.py": "from house import chihwatch\nfrom house.chihwatch import paths\n",
    "storage/store.py": "def f():\n    from house.chihwatch import cli\n",
    "crawler/__init__.py": "",
    "crawler/run.py": "import house.chihwatch.demo.mirror\nimport house.storage.store\n",
    "crawler/spiders.py": "from house.tests.support import faults\n",
    "scheduler/__init__.py": "from house.chihwatch.cli import fixturecheck\nfrom house import reports\n",
    "reports/__init__.py": (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import house.web.app\n"
        "from house.chihwatch.cli import crawl\n"
    ),
    "web/__init__.py": "from house.chihwatch.demo import bundled\nfrom house.chihwatch import deadline\n"
    "from house import reports, chihwatch\n",
    "web/app.py": "from house.chihwatch import stray\nfrom house.storage import store\n",
}
_HOUSE_VIOLATIONS = {
    ("chihwatch.timefmt", "storage.db"),  # the base imports a lower package (lazily)
    ("parsers.clean", "storage.db"),  # parsers -> storage, relative import
    ("storage.store", "chihwatch.cli"),  # lower -> CLI, inside a function, from-import
    ("crawler.run", "chihwatch.demo.mirror"),  # lower -> demo server, plain import
    ("crawler.spiders", "tests.support.faults"),  # lower -> the tests' fault server
    ("scheduler", "chihwatch.cli.fixturecheck"),  # lower -> a CLI tool
    ("chihwatch.demo.mirror", "chihwatch.cli.argcheck"),  # the demo calls up into the CLI
    ("web.app", "chihwatch.stray"),  # lower -> a chihwatch module outside the base
    ("reports", "web.app"),  # reports -> web, under TYPE_CHECKING
    ("reports", "chihwatch.cli.crawl"),  # lower -> a command module
    ("web", "chihwatch.demo.bundled"),  # lower -> where the demo's data lives
}


def test_the_rules_catch_each_kind_of_import(tmp_path: Path, monkeypatch) -> None:
    for rel, text in _HOUSE.items():
        path = tmp_path / "house" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    (tmp_path / "house" / "__init__.py").write_text("", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    house = grimp.build_graph("house", cache_dir=None)
    found = violations(house, root="house.")
    assert set(found) == _HOUSE_VIOLATIONS, _report(found)
    assert found[("storage.store", "chihwatch.cli")][0].startswith("line 2: from house.chihwatch")
