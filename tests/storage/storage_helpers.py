"""Storage test helpers: articles built directly, and a page format the test parser reads.

Until the real parser has fixtures for every case, a stored "page" here is the JSON of an Article
plus boilerplate the parser must ignore (rank lists, ads): the store sees real bytes, sha256s and
parse results, and the test controls exactly what the parse returns.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from chihwatch.errors import NoArticle
from parsers.model import Article, Zone

SERIES = "国家高新区密集部署"


def article(
    year: int = 2024,
    number: int = 5,
    zones: Mapping[str, list[str]] | None = None,
    intro: list[str] | None = None,
    *,
    confidence: float = 0.95,
    title: str | None = None,
    url: str | None = None,
    headings: Mapping[str, str] | None = None,
) -> Article:
    """An Article of the series with the given zones (name -> paragraphs)."""
    zones = zones if zones is not None else {"威海高新区": ["2月4日,威海高新区召开大会。"]}
    return Article(
        url=url,
        title=title or f"国家高新区密集部署 {year}年这样干!{number}",
        published=f"{year}-02-06T08:53:40+08:00",
        source="中国高新技术产业导报",
        author=None,
        editor="韩梦晨",
        series=SERIES,
        year=year,
        installment=number,
        intro=tuple(intro if intro is not None else ["连日来,多个国家高新区召开会议。"]),
        zones=tuple(
            Zone(name=n, paragraphs=tuple(ps), heading=(headings or {}).get(n, ""))
            for n, ps in zones.items()
        ),
        template="chih-2019",
        confidence=confidence,
    )


def page(art: Article, boilerplate: str = "排行: A B C") -> bytes:
    """Bytes of a stored page: the article plus boilerplate that must not matter."""
    data: dict[str, Any] = art.to_dict()
    data["zone_headings"] = {z.name: z.heading for z in art.zones if z.heading}
    data["confidence"] = art.confidence
    data["boilerplate"] = boilerplate
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def json_parse(
    html: bytes, url: str | None = None, headers: Mapping[str, str] | None = None
) -> Article:
    """The test parser: reads what page() wrote; b"<no article>" raises like the real one."""
    try:
        data = json.loads(html.decode("utf-8"))
    except ValueError as exc:
        raise NoArticle("no article body found") from exc
    headings = data.pop("zone_headings", {})
    art = Article.from_dict(data)
    zones = tuple(Zone(z.name, z.paragraphs, headings.get(z.name, "")) for z in art.zones)
    return Article(**{**art.__dict__, "url": url, "zones": zones})


def count(store: Any, model: Any) -> int:
    """Rows of a model's table."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    with Session(store.engine) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


WEIHAI = [
    "2月4日,2023年度威海高新区总结表彰大会召开,提出要抓好10项攻坚行动。",
    "实施招商引资突破攻坚行动。力争全年新落地过10亿元项目10个以上,实际利用外资继续保持全市领先。",
]
KUNMING = [
    "1月29日,昆明高新区召开2024年工作会议。",
    "会议提出,2024年,昆明高新区经济社会发展主要目标是:固定资产投资增长5%,规模以上工业产值增长8%。",
]
