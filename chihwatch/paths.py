"""Where chihwatch keeps its data by default."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = [
    "data_dir",
    "default_db_url",
    "resolve_db_url",
    "DEMO_DIR",
    "DEMO_DB",
    "DEMO_DB_NAME",
    "DEMO_REPORTS",
    "demo_dir",
    "demo_db_url",
]

APP = "chihwatch"

# `chihwatch demo` keeps everything in one folder of the current directory: its database and the
# weekly reports it writes. `chihwatch serve --demo` and the demo's closing hints read the same.
DEMO_DIR = Path("chihwatch-demo")
DEMO_DB_NAME = "chihwatch.db"
DEMO_REPORTS = "reports"
DEMO_DB = DEMO_DB_NAME  # the name `serve --demo` reads


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


def demo_dir(base: Path | None = None) -> Path:
    """The demo folder: ./chihwatch-demo/ of `base` (default: the current directory), absolute."""
    return ((base or Path.cwd()) / DEMO_DIR).resolve()


def demo_db_url(base: Path | None = None) -> str:
    """The demo's SQLite database: ./chihwatch-demo/chihwatch.db."""
    return f"sqlite:///{demo_dir(base) / DEMO_DB_NAME}"
