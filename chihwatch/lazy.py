"""Names a package shows but loads on first use (a module `__getattr__`, PEP 562).

A command that only reads the store must not pay for the parser's pipeline or the store's write
path (issue 16's CLI start): `parsers` and `storage` name them in their face and import them here,
when something first asks.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(
    module: str, sources: Mapping[str, str], namespace: MutableMapping[str, Any]
) -> Callable[[str], Any]:
    """The `__getattr__` of `module`: `sources[name]` is the module `name` is imported from on
    first use; the value is then kept in `namespace` (the module's globals) as a plain attribute."""

    def __getattr__(name: str) -> Any:
        source = sources.get(name)
        if source is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(source), name)
        namespace[name] = value
        return value

    return __getattr__
