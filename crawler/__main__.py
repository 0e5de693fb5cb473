"""`python -m crawler`: one crawl in this process; the summary (or the error) as JSON to a file.

This is the child process of crawler.run.crawl_in_subprocess; progress lines go to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from chihwatch.errors import ChihwatchError
from crawler.run import CHILD_DB_ENV


class _OneLineFormatter(logging.Formatter):
    """Each record on one line: the parent shows these as progress, never as a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and str(exc) not in message:
            message = f"{message}: {exc}"
        return " ".join(message.split())


def _stop_when_orphaned(parent: int) -> None:
    """Stop the crawl (as SIGTERM would) once the parent is gone.

    The child runs in its own session so a terminal's Ctrl-C reaches only the parent, which then
    stops the child; a parent killed with SIGKILL cannot, and an unsupervised crawl would go on.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        logging.getLogger("crawler.progress").warning("parent process gone: stopping the crawl")
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m crawler", description=__doc__.splitlines()[0])
    ap.add_argument(
        "--db",
        default=None,
        help=f"database URL (default: ${CHILD_DB_ENV}, kept off the command line)",
    )
    ap.add_argument("--start-url", action="append", default=[], help="start URL (repeatable)")
    ap.add_argument(
        "--settings-json", default=None, help="Scrapy settings overrides as a JSON object"
    )
    ap.add_argument(
        "--summary-out", default=None, help="write the JSON summary here (default: stdout)"
    )
    args = ap.parse_args(argv)
    db_url = args.db or os.environ.get(CHILD_DB_ENV)
    if not db_url:
        ap.error(f"no database: pass --db or set ${CHILD_DB_ENV}")

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLineFormatter())
    # Progress lines and warnings only: Scrapy's own INFO/DEBUG chatter stays out of the parent's log.
    handler.addFilter(lambda r: r.levelno >= logging.WARNING or r.name == "crawler.progress")
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("crawler.progress").setLevel(logging.INFO)

    if os.environ.get(CHILD_DB_ENV):  # started by crawl_in_subprocess: do not outlive it
        _stop_when_orphaned(os.getppid())

    from crawler.run import run_crawl  # noqa: PLC0415 - after logging is set up

    overrides = json.loads(args.settings_json) if args.settings_json else None
    try:
        summary = run_crawl(db_url, args.start_url or None, settings=overrides)
        payload = {"summary": summary.to_dict()}
        code = 0
    except ChihwatchError as exc:
        payload = {"error": {"type": type(exc).__name__, "message": " ".join(str(exc).split())}}
        done = getattr(exc, "summary", None)
        if done is not None:
            payload["summary"] = done.to_dict()
        code = exc.exit_code
    text = json.dumps(payload, ensure_ascii=False)
    if args.summary_out:
        Path(args.summary_out).write_text(text, "utf-8")
    else:
        print(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
