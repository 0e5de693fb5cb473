"""`python -m crawler`: one crawl in this process; the summary (or the error) as JSON to a file.

This is the child process of crawler.run.crawl_in_subprocess; progress lines go to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from chihwatch.errors import ChihwatchError


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m crawler", description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, help="database URL")
    ap.add_argument("--start-url", action="append", default=[], help="start URL (repeatable)")
    ap.add_argument(
        "--settings-json", default=None, help="Scrapy settings overrides as a JSON object"
    )
    ap.add_argument(
        "--summary-out", default=None, help="write the JSON summary here (default: stdout)"
    )
    args = ap.parse_args(argv)

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    # Progress lines and warnings only: Scrapy's own INFO/DEBUG chatter stays out of the parent's log.
    handler.addFilter(lambda r: r.levelno >= logging.WARNING or r.name == "crawler.progress")
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("crawler.progress").setLevel(logging.INFO)

    from crawler.run import run_crawl

    overrides = json.loads(args.settings_json) if args.settings_json else None
    try:
        summary = run_crawl(args.db, args.start_url or None, settings=overrides)
        payload = {"summary": summary.to_dict()}
        code = 0
    except ChihwatchError as exc:
        payload = {"error": {"type": type(exc).__name__, "message": " ".join(str(exc).split())}}
        code = exc.exit_code
    text = json.dumps(payload, ensure_ascii=False)
    if args.summary_out:
        Path(args.summary_out).write_text(text, "utf-8")
    else:
        print(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
