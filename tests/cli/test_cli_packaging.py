"""Issue 11: `pip install .` (not editable), then `chihwatch demo` in an empty folder works.

The wheel is built from a copy of the tracked files (a fresh clone, not this working tree's build
leftovers) and installed into a new venv. The venv borrows the third-party dependencies from the
venv running the tests through a .pth line, so the test needs no package index for Scrapy & co.;
chihwatch itself (chihwatch, parsers, crawler, storage, scheduler, reports) comes only from the
wheel: the test checks that it is imported from the new venv and that the checkout is nowhere
on its path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE_LAYOUT = ROOT / "fixtures" / "site" / "layout.json"

pytestmark = pytest.mark.slow


def _sh(args: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=600, **kw)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the tracked files."""
    tmp = tmp_path_factory.mktemp("pkg")
    src = tmp / "src"
    files = _sh(["git", "-C", str(ROOT), "ls-files", "-z"]).stdout.split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    built = _sh(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp / "dist"), str(src)]
    )
    assert built.returncode == 0, built.stderr[-2000:]
    [built_wheel] = (tmp / "dist").glob("chihwatch-*.whl")
    return built_wheel


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with chihwatch installed from that wheel; its bin/."""
    venv = tmp_path_factory.mktemp("venv") / "venv"
    assert _sh([sys.executable, "-m", "venv", str(venv)]).returncode == 0
    py = venv / "bin" / "python"
    purelib = _sh([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    # Dependencies only: a directory on sys.path, not a site dir, so its .pth files (this
    # checkout's editable-install hook among them) are not run in the new venv.
    deps = sysconfig.get_paths()["purelib"]
    Path(purelib.stdout.strip(), "_deps.pth").write_text(deps + "\n", encoding="utf-8")
    inst = _sh([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)])
    assert inst.returncode == 0, inst.stderr[-2000:]
    return venv / "bin"


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHIHWATCH_")}
    env.pop("PYTHONPATH", None)
    env["CHIHWATCH_HOME"] = str(home)
    return env


def test_the_wheel_carries_its_code_and_data_not_the_checkout(
    installed: Path, tmp_path: Path
) -> None:
    probe = _sh(
        [
            str(installed / "python"),
            "-c",
            "import sys, chihwatch, storage, crawler, reports; from chihwatch.demo.mirror import "
            "BUNDLED_SITE; from chihwatch.cli.fixturecheck import fixtures_dir; "
            "print(chihwatch.__file__, storage.__file__, BUNDLED_SITE, fixtures_dir(), sep='\\n'); "
            "print(any(p.rstrip('/') == sys.argv[1] for p in sys.path))",
            str(ROOT),
        ],
        cwd=tmp_path,
        env=_env(tmp_path / "home"),
    )
    assert probe.returncode == 0, probe.stderr
    lines = probe.stdout.split("\n")
    venv = str(installed.parent)
    assert all(line.startswith(venv) for line in lines[:4]), lines
    assert lines[2].endswith("chihwatch/demo/_data/site")
    assert lines[3].endswith("chihwatch/demo/_data/pages")
    assert lines[4] == "False"


def test_the_wheel_holds_no_test_only_module(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    packages = {"chihwatch", "parsers", "crawler", "storage", "scheduler", "reports", "web"}
    assert tops == packages | {"chihwatch-0.1.0.dist-info"}, sorted(tops)
    # The fault-injecting server of the tests lives in tests/support/, outside the package.
    assert not [n for n in names if "faults" in n.rsplit("/", 1)[-1]]
    assert "chihwatch/demo/mirror.py" in names and "chihwatch/demo/_data/site/layout.json" in names


def test_demo_and_fixtures_check_run_from_the_installed_package(
    installed: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    env = _env(tmp_path / "home")
    demo = _sh([str(installed / "chihwatch"), "demo"], cwd=empty, env=env)
    assert demo.returncode == 0, demo.stderr
    assert "[4/4]" in demo.stdout and "Report written:" in demo.stdout
    db = empty / "chihwatch-demo" / "chihwatch.db"
    assert db.is_file() and len(list((empty / "chihwatch-demo" / "reports").glob("*.html"))) == 3
    listed = _sh(
        [str(installed / "chihwatch"), "--db", f"sqlite:///{db}", "list"], cwd=empty, env=env
    )
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 10

    check = _sh([str(installed / "chihwatch"), "fixtures", "check", "--json"], cwd=empty, env=env)
    assert check.returncode == 0, check.stderr
    expected = sorted(p.stem for p in (ROOT / "fixtures" / "pages").glob("*.json"))
    import json

    assert sorted(r["name"] for r in json.loads(check.stdout)) == expected
    # The demo left nothing outside its folder.
    assert sorted(p.name for p in empty.iterdir()) == ["chihwatch-demo"]
