"""Every domain error of chihwatch, each with the exit code the CLI maps it to.

The CLI prints ``str(error)`` as one line on stderr and exits with ``error.exit_code``;
no traceback ever reaches a user for these. Exit codes (also in README.md):

    0  success
    1  a check failed (e.g. `fixtures check` found a fixture below its floor)
    2  bad command-line usage (click's own code)
    3  input unreadable: missing/unreadable file, unreachable URL, unwritable output
    4  input is not a parseable article: empty, binary, not HTML, no article body
    5  database problem: cannot open, locked, schema newer than the code
    6  not found: no such installment or revision
    7  network problem during a crawl (no route, DNS failure, every request failed)
    8  another daemon holds the lock on this database
    9  bad configuration file or option value
   10  a crawl ran but read nothing it must read (robots.txt forbids the start pages, no list
       page could be read): a failed crawl that is neither the network's nor the store's fault
"""

from __future__ import annotations

__all__ = [
    "ChihwatchError",
    "CheckFailed",
    "InputError",
    "OutputError",
    "ParseError",
    "EmptyInput",
    "NotHTML",
    "NoArticle",
    "DatabaseError",
    "DatabaseLocked",
    "SchemaTooNew",
    "NotFound",
    "NetworkError",
    "AlreadyRunning",
    "ConfigError",
    "CrawlFailed",
]


class ChihwatchError(Exception):
    """Base of all expected failures; ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class CheckFailed(ChihwatchError):
    """A quality check did not pass (fixtures below their floor, ...)."""

    exit_code = 1


class InputError(ChihwatchError):
    """A file, stdin or URL given as input could not be read."""

    exit_code = 3


class OutputError(ChihwatchError):
    """An output path could not be written."""

    exit_code = 3


class ParseError(ChihwatchError):
    """Bytes that are not a parseable article page."""

    exit_code = 4


class EmptyInput(ParseError):
    """The input holds no bytes (or only whitespace)."""


class NotHTML(ParseError):
    """The input is binary data or text that is not HTML."""


class NoArticle(ParseError):
    """The page is HTML but holds no article body (a list page, an error page...)."""


class DatabaseError(ChihwatchError):
    """The database cannot be opened or used."""

    exit_code = 5


class DatabaseLocked(DatabaseError):
    """The SQLite file is locked by another writer for longer than the timeout."""


class SchemaTooNew(DatabaseError):
    """The database was migrated by a newer chihwatch than this one."""


class NotFound(ChihwatchError):
    """No such installment, revision or record."""

    exit_code = 6


class NetworkError(ChihwatchError):
    """The crawl could not reach the site at all."""

    exit_code = 7


class AlreadyRunning(ChihwatchError):
    """Another daemon holds the single-instance lock on this database."""

    exit_code = 8


class ConfigError(ChihwatchError):
    """A configuration file or option value is invalid."""

    exit_code = 9


class CrawlFailed(ChihwatchError):
    """A crawl that read none of what it must (no list page read, start pages forbidden)."""

    exit_code = 10
