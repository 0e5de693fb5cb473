"""`chihwatch diff --format html`: one revision diff as a page with the weekly report's look.

The page extends reports/templates/report.html.j2 (same CSS, fonts, Content-Security-Policy,
Chinese labels, Beijing time) and reuses its macros: the site's edits with strike-through, and
the "against earlier installments" part (figures, comparison with each zone's earlier section).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["render_diff_page"]


def render_diff_page(data: Mapping[str, Any]) -> str:
    """HTML of `Store.diff()`'s dict; every piece of page text is escaped (autoescape)."""
    from reports import _env, model

    html = _env().get_template("diff.html.j2").render(d=data)
    return model.strip_xml_invalid(html)
