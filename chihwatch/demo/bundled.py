"""Where the data shipped with chihwatch lives: the mirror site and the saved pages.

In a checkout (or an editable install) they are fixtures/site/ and fixtures/pages/, the developers'
workflow and the one source of truth. An installed wheel carries copies made at build time
(setup.py) as package data in `chihwatch/demo/_data/`, found through importlib.resources. The package
data wins when present, so an installed chihwatch never reads a stray folder beside site-packages.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["mirror_site", "saved_pages", "checkout_pages", "CHECKOUT_FIXTURES"]

CHECKOUT_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _packaged(name: str) -> Path | None:
    try:
        node = resources.files("chihwatch.demo").joinpath("_data", name)
    except (ModuleNotFoundError, FileNotFoundError):
        return None
    # An installed wheel is a folder on disk; a zipped install would need as_file() per file,
    # which the mirror server (which lists directories) cannot use.
    return Path(str(node)) if isinstance(node, Path) and node.is_dir() else None


def mirror_site() -> Path:
    """The mirror site's root (state1/, state2/, ..., layout.json)."""
    return _packaged("site") or CHECKOUT_FIXTURES / "site"


def saved_pages() -> Path:
    """The saved-page fixtures (NAME.html + NAME.json)."""
    return _packaged("pages") or CHECKOUT_FIXTURES / "pages"


def checkout_pages() -> Path | None:
    """fixtures/pages of a checkout, where `fixtures save/update` write; None when installed
    (the packaged copy is read-only data, never a place to save new fixtures)."""
    pages = CHECKOUT_FIXTURES / "pages"
    return pages if pages.is_dir() and _packaged("pages") is None else None
