"""Packaging hook: the wheel carries the mirror site and the saved pages as package data.

fixtures/ stays the one source of truth (the developers' workflow in the checkout: build.py,
`fixtures save/update`); at build time this copies fixtures/site/ (the states and layout.json) and
fixtures/pages/ (NAME.html + NAME.json) into the built `chihwatch/demo/_data/`, where an installed
chihwatch finds them through importlib.resources (chihwatch/demo/bundled.py). Everything else is in
pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"


class build_py_with_data(build_py):  # noqa: N801 (setuptools command naming)
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return  # an editable install reads fixtures/ of the checkout directly
        target = Path(self.build_lib) / "chihwatch" / "demo" / "_data"
        shutil.rmtree(target, ignore_errors=True)
        site = FIXTURES / "site"
        if not (site / "layout.json").is_file():
            raise SystemExit(f"cannot build chihwatch: mirror site missing at {site}")
        for state in sorted(p for p in site.iterdir() if p.is_dir() and p.name.startswith("state")):
            shutil.copytree(state, target / "site" / state.name)
        shutil.copy2(site / "layout.json", target / "site" / "layout.json")
        pages = target / "pages"
        pages.mkdir(parents=True)
        for page in sorted((FIXTURES / "pages").glob("*.json")):
            html = page.with_suffix(".html")
            if html.is_file():
                shutil.copy2(page, pages / page.name)
                shutil.copy2(html, pages / html.name)


setup(cmdclass={"build_py": build_py_with_data})
