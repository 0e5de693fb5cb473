"""Checks for command-line values that click accepts but the rest of chihwatch cannot hold.

On Linux, click hands over arguments that are not valid UTF-8 with surrogate escapes (`\\udcff`);
stored or printed later they fail with UnicodeEncodeError (exit 70) or go out as raw bytes.
A URL must be text: refuse it up front, as a usage error with one line.
"""

from __future__ import annotations

from typing import Any

import click

__all__ = ["text_value", "url_option_callback"]


def text_value(value: str, hint: str) -> str:
    """`value` unchanged if it is valid Unicode text; click.BadParameter (exit 2) otherwise."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise click.BadParameter(
            "not valid UTF-8 text (check the terminal's or the script's encoding)",
            param_hint=hint,
        ) from None
    if any(c in value for c in "\r\n\0"):
        raise click.BadParameter("contains a line break or NUL", param_hint=hint)
    return value


def url_option_callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """click callback for URL options and arguments."""
    if value is None:
        return None
    hint = param.opts[0] if getattr(param, "opts", None) else param.name or "value"
    if isinstance(value, tuple):
        return tuple(text_value(v, hint) for v in value)
    return text_value(value, hint)
