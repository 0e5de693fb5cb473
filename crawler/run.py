"""Run one crawl: in this process (`run_crawl`) or in a child process (`crawl_in_subprocess`).

Twisted's reactor cannot be restarted, so a process runs at most one crawl; anything that crawls
more than once (the daemon, the demo, the tests) uses `crawl_in_subprocess`, which starts
`python -m crawler` and reads its summary back as JSON.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from chihwatch import errors
from chihwatch.errors import ChihwatchError, NetworkError
from chihwatch.paths import data_dir, resolve_db_url
from crawler.counts import CrawlSummary, Stats, counted, summary_from_stats

if TYPE_CHECKING:
    from crawler.outcome import Problems

__all__ = [
    "CrawlSummary",
    "run_crawl",
    "crawl_in_subprocess",
    "crawl_settings",
    "user_agent",
    "start_child",
    "stop_children",
    "kill_groups",
]

log = logging.getLogger(__name__)
child_log = logging.getLogger("crawler.child")

# How crawl_in_subprocess hands the database URL (with its password) to the child.
CHILD_DB_ENV = "CHIHWATCH_CRAWL_DB"


def _cache_dir(db_url: str) -> str:
    digest = hashlib.sha1(db_url.encode()).hexdigest()[:12]
    return str(data_dir() / "httpcache" / digest)


def crawl_settings(db_url: str, start_urls: Sequence[str] | None, overrides: Mapping | None) -> Any:
    """Scrapy Settings for one crawl: crawler.settings, then the overrides, then db and start URLs."""
    from scrapy.settings import Settings

    from crawler import settings as project_settings

    s = Settings()
    s.setmodule(project_settings, priority="project")
    s.set("CHIHWATCH_DB_URL", db_url, priority="cmdline")
    s.set("HTTPCACHE_DIR", _cache_dir(db_url), priority="project")
    if start_urls:
        s.set("CHIHWATCH_START_URLS", list(start_urls), priority="cmdline")
    for key, value in (overrides or {}).items():
        s.set(key, value, priority="cmdline")
    if not s.get("USER_AGENT"):
        s.set("USER_AGENT", user_agent(s.get("CHIHWATCH_CONTACT_URL")), priority="cmdline")
    check_user_agent(str(s.get("USER_AGENT")))
    return s


def user_agent(contact_url: str | None) -> str:
    """An honest User-Agent: who we are and where the site can reach whoever runs us.

    Printable ASCII only (RFC 9110 field values are ASCII; Latin-1 at most): a non-ASCII contact
    URL is percent-encoded, a control character (CR/LF: header injection) is a ConfigError.
    """
    from chihwatch import __version__

    contact = contact_url or "https://github.com/chihwatch/chihwatch"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in contact):
        raise errors.ConfigError(f"CHIHWATCH_CONTACT_URL holds a control character: {contact!r}")
    contact = quote(contact, safe="!#$&'()*+,/:;=?@[]~%")
    return f"chihwatch/{__version__} (+{contact}; change tracker for a chinahightech.com series)"


def check_user_agent(value: str) -> str:
    """A User-Agent given in the settings must be printable ASCII (one line, no UTF-8 bytes)."""
    if not value or not all(0x20 <= ord(c) < 0x7F for c in value):
        raise errors.ConfigError(f"USER_AGENT must be printable ASCII text: {value!r}")
    return value


def _peak_rss_kb() -> int:
    """This process's peak resident memory in KiB.

    Linux: VmHWM from /proc, which starts afresh when the process execs. `ru_maxrss` does not: it
    keeps the high-water mark of the process this one was forked from (a daemon, a benchmark), so
    a crawl child started from a large parent reported the parent's size.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource

        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux
    except (ImportError, OSError):
        return 0


def run_crawl(
    db_url: str | None, start_urls: Sequence[str] | None = None, *, settings: Mapping | None = None
) -> CrawlSummary:
    """One crawl cycle in this process (once per process: the reactor cannot restart)."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.statscollectors import MemoryStatsCollector

    from crawler.links import DEFAULT_START_URLS
    from crawler.outcome import problems_for
    from crawler.spiders.series import SeriesSpider
    from crawler.storeaccess import attach_store
    from storage import open_store

    url = resolve_db_url(db_url)
    store = open_store(url)  # DatabaseError / SchemaTooNew surface here, before any request
    s = crawl_settings(url, start_urls, settings)
    began = time.monotonic()
    process = CrawlerProcess(s)
    crawler = process.create_crawler(SeriesSpider)
    attach_store(crawler, store)
    problems = problems_for(crawler)
    done = process.crawl(crawler)
    # A bad setting makes Scrapy fail while starting (before any request): keep why.
    done.addErrback(lambda f: setattr(problems, "start_error", _failure_line(f)))
    process.start()
    # Scrapy's stats (crawler/counts.py): created with the crawl, so None only if it never began.
    stats = crawler.stats or MemoryStatsCollector(crawler)
    summary = summary_from_stats(
        stats, seconds=round(time.monotonic() - began, 3), peak_rss_kb=_peak_rss_kb()
    )
    spider = crawler.spider
    starts = list(s.getlist("CHIHWATCH_START_URLS") or DEFAULT_START_URLS)
    # The outcome comes from what was read and stored, never from "the reactor stopped".
    try:
        _judge(summary, problems, stats, spider, starts)
    except ChihwatchError as exc:
        exc.summary = summary  # type: ignore[attr-defined]  # what the failed crawl did do
        raise
    return summary


def _judge(
    summary: CrawlSummary, problems: Problems, stats: Stats, spider: Any, starts: list[str]
) -> None:
    from crawler.links import is_article_url
    from crawler.outcome import judge

    judge(
        summary,
        problems,
        list_starts=sum(not is_article_url(u) for u in starts),
        responses=counted(stats, "responses"),
        network_errors=counted(stats, "network_errors"),
        hosts=sorted({host for host, _ in spider.scope.hosts}) if spider else [],
        first_error=summary.error_messages[0] if summary.error_messages else None,
        starts=starts,
    )


def _failure_line(failure: Any) -> str:
    exc = failure.value
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def crawl_in_subprocess(
    db_url: str | None,
    start_urls: Sequence[str] | None = None,
    *,
    timeout: float | None = None,
    settings: Mapping | None = None,
    progress: Callable[[str], None] | None = None,
) -> CrawlSummary:
    """The same crawl in a child process (`python -m crawler`); kills it after `timeout` seconds.

    The child's stderr lines (progress and warnings) go to `progress`, or to the log at INFO.
    """
    url = resolve_db_url(db_url)
    with tempfile.TemporaryDirectory(prefix="chihwatch-crawl-") as tmp:
        out = Path(tmp) / "summary.json"
        # The URL goes by environment, not argv: `ps` shows every user a child's command line.
        cmd = [sys.executable, "-m", "crawler", "--summary-out", str(out)]
        for u in start_urls or ():
            cmd += ["--start-url", u]
        if settings:
            cmd += ["--settings-json", json.dumps(dict(settings))]
        env = dict(os.environ)
        env[CHILD_DB_ENV] = url
        # The child imports the same code as we do, wherever we were started from.
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        began = time.monotonic()
        proc = start_child(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )
        tail: deque[str] = deque(maxlen=20)
        reader = threading.Thread(target=_pump, args=(proc, tail, progress), daemon=True)
        reader.start()
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_groups([proc])
            reader.join(timeout=5)
            raise NetworkError(
                f"crawl timed out after {timeout:g}s; the crawl process was killed"
            ) from None
        except BaseException:
            kill_groups([proc])  # interrupted (SIGINT, SIGTERM handler): the child goes with us
            raise
        reader.join(timeout=5)
        data = json.loads(out.read_text("utf-8")) if out.exists() and out.stat().st_size else None
    if data and "error" in data:
        cls = getattr(errors, data["error"].get("type", ""), None)
        if not (isinstance(cls, type) and issubclass(cls, ChihwatchError)):
            cls = ChihwatchError
        exc = cls(data["error"].get("message", "crawl failed"))
        if data.get("summary"):  # a crawl that ran and failed: what it did, for the run log
            exc.summary = CrawlSummary.from_dict(data["summary"])  # type: ignore[attr-defined]
        raise exc
    if rc != 0 or not data:
        last = next((ln for ln in reversed(tail) if ln.strip()), "no output")
        how = f"killed by signal {-rc}" if rc < 0 else f"exit {rc}"
        raise ChihwatchError(f"crawl process failed ({how}): {last}")
    summary = CrawlSummary.from_dict(data["summary"])
    log.debug("crawl child took %.1fs", time.monotonic() - began)
    return summary


def _pump(proc: subprocess.Popen, tail: deque[str], progress: Callable[[str], None] | None) -> None:
    assert proc.stderr is not None
    for raw in proc.stderr:
        line = raw.decode("utf-8", "replace").rstrip("\n")
        tail.append(line)
        if progress is not None:
            progress(line)
        else:
            child_log.info("%s", line)


# -- the crawl children: each in its own process group, so stopping one stops all it started --

_children: set[subprocess.Popen] = set()
_children_lock = threading.Lock()


def start_child(cmd: Sequence[str], **popen: Any) -> subprocess.Popen:
    """Start a crawl child in a session (and process group) of its own, known to `stop_children`.

    Its own session: a terminal's Ctrl-C reaches only us, and we stop the child; killing its group
    takes whatever it started with it.
    """
    proc = subprocess.Popen(cmd, start_new_session=True, **popen)
    with _children_lock:
        # The children that were waited for are done with: forget them as new ones start.
        _children.difference_update([p for p in _children if p.returncode is not None])
        _children.add(proc)
    return proc


def stop_children(grace: float) -> list[int]:
    """Stop every crawl child still running (a daemon stopping): their pids."""
    with _children_lock:
        procs = [p for p in _children if p.returncode is None]
    kill_groups(procs, grace)
    return [p.pid for p in procs]


def kill_groups(procs: Sequence[subprocess.Popen], grace: float = 5.0) -> None:
    """SIGTERM the children's process groups; SIGKILL those still there after `grace` seconds."""
    alive = list(procs)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        alive = [p for p in alive if not _exited(p)]
        for proc in alive:
            if sig == signal.SIGKILL:
                log.warning("crawl child %d ignored SIGTERM for %.0fs; killing it", proc.pid, grace)
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while alive and time.monotonic() < deadline:
            time.sleep(0.05)
            alive = [p for p in alive if not _exited(p)]
        if not alive:
            return


def _exited(proc: subprocess.Popen) -> bool:
    # Another thread may be in proc.wait() (holding the waitpid lock, so poll() says nothing):
    # the returncode it sets is the answer then.
    return proc.poll() is not None or proc.returncode is not None
