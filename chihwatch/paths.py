"""Where chihwatch keeps its data by default."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = ["data_dir", "default_db_url", "resolve_db_url", "DEMO_DIR", "DEMO_DB", "demo_db_url"]

APP = "chihwatch"


def data_dir() -> Path:
    """The user's data directory for chihwatch (created on demand by the caller)."""
    override = os.environ.get("CHIHWATCH_HOME")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP))


def default_db_url() -> str:
    """SQLite file in the user's data directory."""
    return f"sqlite:///{data_dir() / 'chihwatch.db'}"


def resolve_db_url(url: str | None) -> str:
    """The database URL to use: explicit value, else $CHIHWATCH_DB, else the default file."""
    return url or os.environ.get("CHIHWATCH_DB") or default_db_url()


# `chihwatch demo` keeps its report and its store in this folder of the current directory, and
# `chihwatch serve --demo` opens that store (one name for both commands).
DEMO_DIR = "chihwatch-demo-report"
DEMO_DB = "chihwatch.db"


def demo_db_url(cwd: Path | None = None) -> str:
    """The demo's SQLite store: ./chihwatch-demo-report/chihwatch.db (absolute)."""
    return f"sqlite:///{(cwd or Path.cwd()).resolve() / DEMO_DIR / DEMO_DB}"
