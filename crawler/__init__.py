"""The Scrapy project that collects the series: spider, settings, middlewares, item pipelines.

Entry points: `crawler.run.run_crawl` (one crawl in this process) and
`crawler.run.crawl_in_subprocess` (the same in a child process, `python -m crawler`).
"""

from __future__ import annotations

import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())
