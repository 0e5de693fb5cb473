"""chihwatch: crawler and change tracker for the chih.cn series 国家高新区密集部署."""

from __future__ import annotations

import logging

__version__ = "0.1.0"
__all__ = ["__version__"]

logging.getLogger("chihwatch").addHandler(logging.NullHandler())
