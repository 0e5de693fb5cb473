"""Scrapy settings of the chihwatch crawler: polite by default (robots.txt, AutoThrottle, one site).

Tests and the benchmark override the delays (`POLITE_OFF`); everything else stays as here.
"""

from __future__ import annotations

BOT_NAME = "chihwatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# -- chihwatch ------------------------------------------------------------------------------------
# Database the pipeline stores into (set by crawler.run; `scrapy crawl` needs -s CHIHWATCH_DB_URL=...).
CHIHWATCH_DB_URL = None
# Start URLs; None means crawler.links.DEFAULT_START_URLS (the real site's list pages).
CHIHWATCH_START_URLS = None
# How many pages of each list (a start URL and its pagination) one crawl reads at most.
CHIHWATCH_MAX_LIST_PAGES = 20
# Re-check every article already in the store (conditional GET) even if no list links to it any
# more: that is how a removed page (404) or an edit of an old installment is noticed.
CHIHWATCH_RECHECK_KNOWN = True
# The revisit policy (docs/crawling.md, "Revisiting"): a known article page whose last check
# succeeded less than CHIHWATCH_REVISIT_AFTER seconds ago is not asked for again this crawl, unless
# its installment is fresh (published, or last edited, within CHIHWATCH_REVISIT_FRESH seconds) or
# troubled (a suspect copy waiting, an event within that window). The daemon crawls every 6 hours,
# so a silent edit of an old page is seen within a day, days before the weekly report; the site is
# asked for the old pages once a day instead of four times. 0: every known page, every crawl.
CHIHWATCH_REVISIT_AFTER = 86400.0
CHIHWATCH_REVISIT_FRESH = 30 * 86400.0
# Who runs this crawler: goes into the User-Agent so the site can reach us.
CHIHWATCH_CONTACT_URL = "https://github.com/chihwatch/chihwatch"
# Pages with a body written per transaction at most (the pipeline's batches also end at
# CHIHWATCH_NOT_MODIFIED_BATCH answers of any kind, default 200, or when the first waited
# CHIHWATCH_NOT_MODIFIED_WAIT seconds, default 2). A crawl killed mid-batch loses that batch whole;
# its pages' validators were not kept either, so the next crawl fetches them again.
CHIHWATCH_PAGE_BATCH = 50
# Log one progress line every N stored pages (0: only the summary).
CHIHWATCH_PROGRESS_EVERY = 1
# Seconds to wait before a retry, doubled on each further retry (5xx, timeouts).
CHIHWATCH_RETRY_BACKOFF = 2.0
CHIHWATCH_RETRY_BACKOFF_MAX = 60.0
# Seconds added to every recorded fetch time (negative: the past). Only the demo sets it, to play
# the mirror's states over simulated weeks; a real crawl records the real time.
CHIHWATCH_CLOCK_OFFSET = 0.0
# The most a robots.txt Crawl-delay may slow us down to (seconds per request); never below
# DOWNLOAD_DELAY (crawler/robots.py).
CHIHWATCH_MAX_CRAWL_DELAY = 60.0

# -- politeness -------------------------------------------------------------------------------------
# None: "chihwatch/VERSION (+CHIHWATCH_CONTACT_URL)", built by crawler.run.crawl_settings.
USER_AGENT = None
ROBOTSTXT_USER_AGENT = "chihwatch"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5  # ±50%
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
# An article page is ~50 KB; anything far larger is not one (or is an attack) and is dropped.
DOWNLOAD_MAXSIZE = 5 * 1024 * 1024
DOWNLOAD_WARNSIZE = 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Scrapy's list without CannotResolveHostError: a host name that does not resolve (no network) is
# not fixed seconds later, and retrying it only delays the "could not reach" message by a minute.
RETRY_EXCEPTIONS = [
    "scrapy.exceptions.DownloadConnectionRefusedError",
    "scrapy.exceptions.DownloadFailedError",
    "scrapy.exceptions.DownloadTimeoutError",
    "scrapy.exceptions.ResponseDataLossError",
    "twisted.internet.error.ConnectionDone",
    "twisted.internet.error.ConnectError",
    "twisted.internet.error.ConnectionLost",
    OSError,  # HttpCompression on an empty compressed body
    "scrapy.core.downloader.handlers.http11.TunnelError",
]
COOKIES_ENABLED = False
# Items per response are few (one page, or a list's links); Scrapy's default of 100 parallel
# workers per response output costs more in task churn than it saves.
CONCURRENT_ITEMS = 8
TELNETCONSOLE_ENABLED = False
REDIRECT_MAX_TIMES = 5
METAREFRESH_ENABLED = False

# List pages are revalidated on every crawl (If-None-Match / If-Modified-Since) and their links
# read from the cached copy on a 304, so an unchanged site costs only 304s. Articles are not cached
# here: their validators and bodies live in the store.
HTTPCACHE_ENABLED = True
HTTPCACHE_POLICY = "crawler.middlewares.AlwaysRevalidatePolicy"
# Scrapy's filesystem storage, with a full or read-only disk named as such (crawler/cache.py).
HTTPCACHE_STORAGE = "crawler.cache.CheckedFilesystemCacheStorage"
HTTPCACHE_GZIP = True
HTTPCACHE_DIR = None  # set by crawler.run (per database)
HTTPCACHE_EXPIRATION_SECS = 0

# URLs longer than the store's URL columns (2048) are not followed (Scrapy's default is 2083).
URLLENGTH_LIMIT = 2048

DOWNLOADER_MIDDLEWARES = {
    # RFC 9309: unreachable robots.txt = disallow all, 4xx = allow all, 512 KiB parsed,
    # Crawl-delay honoured (crawler/robots.py); Protego parses, as in Scrapy.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.robots.RobotsPolicyMiddleware": 100,
    # Drops out-of-scope requests (other hosts, non-http schemes), including redirect targets, which
    # come back through here as new requests.
    "crawler.middlewares.ScopeMiddleware": 40,
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    # Sees a 3xx before the redirect middleware (600) does: loops end with a recorded reason.
    "crawler.middlewares.RedirectLoopMiddleware": 605,
    # Validators from the store for articles, after redirects so a redirected request gets the
    # target's own validators.
    "crawler.middlewares.ConditionalRequestMiddleware": 610,
    # Scrapy's HTTP cache, except that a 304 changing nothing does not rewrite the cached copy.
    "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware": None,
    "crawler.httpcache.RevalidatingCacheMiddleware": 900,
}
ITEM_PIPELINES = {
    "crawler.pipelines.StorePipeline": 300,
}

# Scrapy's stats dump at close pretty-prints every stat (a full crawl's change list among them)
# before the log level is looked at; crawler.run's summary reports what the crawl did.
STATS_DUMP = False
# Scrapy reads each generator callback's source (inspect + ast) to warn about `return value`; the
# spider's callbacks are tested, and reading them costs ~0.1 s per crawl.
WARN_ON_GENERATOR_RETURN_VALUE = False
LOG_LEVEL = "WARNING"
LOG_INSTALL_ROOT_HANDLER = False  # the caller (CLI, daemon, crawler.__main__) owns logging
FEED_EXPORT_ENCODING = "utf-8"

# Settings that make a local test or benchmark crawl fast (never for the real site).
POLITE_OFF: dict[str, object] = {
    "DOWNLOAD_DELAY": 0,
    "DOWNLOAD_DELAY_JITTER": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "CHIHWATCH_RETRY_BACKOFF": 0.05,
    "CHIHWATCH_PROGRESS_EVERY": 0,
}
