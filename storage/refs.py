"""What a person types to name an installment, read into (year, number) or a title to look up.

`2024-5`, `2024-⑤`, `2024年⑤`, `2024年5`, `2024-（五）`, `2024年（三）`, `2024/5`, the full title
`国家高新区密集部署 2024年这样干！⑤` (any spacing, ! or ！) — all the same installment. Anything
else that is not an id or a URL is matched against the stored titles (`storage.queries.resolve`).
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from chihwatch.errors import NotFound
from parsers.series import SERIES_NAME, circled_int, cn_int, match_series_title
from storage.models import Installment

__all__ = ["parse_ref", "resolve_title"]

_SHORT = re.compile(
    r"(?P<year>(?:19|20)\d{2})\s*(?:年|-|/|\s)\s*"
    r"[（(]?\s*(?:第)?\s*(?P<num>\d{1,3}|[一二三四五六七八九十]{1,3}|.)\s*(?:期)?\s*[）)]?"
)


def parse_ref(text: str) -> tuple[int, int] | None:
    """(year, number) when `text` names an installment by year and number, else None."""
    text = " ".join(text.split())
    m = _SHORT.fullmatch(text)
    if m:
        raw = m["num"]
        number = int(raw) if raw.isascii() and raw.isdigit() else circled_int(raw) or cn_int(raw)
        if number:
            return int(m["year"]), number
    # The title, or its second half (`2024年这样干！⑤`) as people copy it from the page.
    info = match_series_title(text if SERIES_NAME in text else SERIES_NAME + text)
    if info is not None and info.year and info.installment:
        return info.year, info.installment
    return None


def resolve_title(s: Session, text: str) -> Installment | None:
    """The installment whose title is `text`, else the only one whose title contains it.

    Whitespace is ignored (titles carry a NBSP or a space between the halves); several matches
    raise NotFound listing them, so a short word never silently picks one.
    """
    want = "".join(text.split())
    if not want:
        return None
    found = [
        inst
        for inst in s.scalars(select(Installment).order_by(Installment.year, Installment.number))
        if want in "".join((inst.title or "").split())
    ]
    exact = [i for i in found if "".join((i.title or "").split()) == want]
    if exact:
        return exact[0]
    if len(found) > 1:
        refs = ", ".join(f"{i.year}-{i.number}" for i in found[:8])
        raise NotFound(f"{len(found)} installments match {text!r}: {refs} (name one of them)")
    return found[0] if found else None
