"""The chihwatch daemon: schedule config, single-instance lock, APScheduler jobs, run records."""

from __future__ import annotations

import logging

from scheduler.config import DaemonConfig, Schedule, load_config, parse_duration

__all__ = ["DaemonConfig", "Schedule", "load_config", "parse_duration"]

logging.getLogger(__name__).addHandler(logging.NullHandler())
