"""The values the parser returns: Article and Zone (frozen, safe to share across modules)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Article", "Zone"]


@dataclass(frozen=True)
class Zone:
    """One zone's section of an installment: canonical zone name and its paragraphs."""

    name: str
    paragraphs: tuple[str, ...]
    heading: str = ""  # the heading as printed (e.g. 天津滨海高新区); "" means the same as name
    known: bool = True  # False: a heading the gazetteer does not know, recognised by its shape

    @property
    def printed(self) -> str:
        """The heading as printed on the page (the canonical name when none was recorded)."""
        return self.heading or self.name

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "heading": self.printed}
        if not self.known:
            out["known"] = False
        out["paragraphs"] = list(self.paragraphs)
        return out


@dataclass(frozen=True)
class Article:
    """A parsed article page. ``to_dict()`` is the JSON of `chihwatch parse --format json`."""

    url: str | None
    title: str
    published: str | None  # ISO 8601 with +08:00, or None when the page shows no time
    source: str | None
    author: str | None
    editor: str | None
    series: str | None
    year: int | None
    installment: int | None  # None for any page that is not a series installment
    intro: tuple[str, ...]
    zones: tuple[Zone, ...]
    template: str  # "chih-2019" (older site profile) or "generic" (main-text extractor)
    confidence: float  # 0..1: how sure the parser is that body and zones are right
    warnings: tuple[str, ...] = field(default=())
    # What the page showed of `published`: "second", "minute" (seconds are :00) or "day" (a date).
    published_precision: str | None = None
    # The HTML stops before `</body></html>`: whatever was parsed is a prefix of the page (the
    # warnings say so in words; the store reads this field).
    truncated: bool = False

    @property
    def paragraphs(self) -> tuple[str, ...]:
        """Every body paragraph in page order: intro, then each zone's heading and paragraphs."""
        out: list[str] = list(self.intro)
        for zone in self.zones:
            out.append(zone.printed)
            out.extend(zone.paragraphs)
        return tuple(out)

    @property
    def body_text(self) -> str:
        """The body as one string, paragraphs separated by newlines."""
        return "\n".join(self.paragraphs)

    @property
    def is_installment(self) -> bool:
        return self.installment is not None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "url": self.url,
            "title": self.title,
            "published": self.published,
            "published_precision": self.published_precision,
            "source": self.source,
            "author": self.author,
            "editor": self.editor,
            "series": self.series,
            "year": self.year,
            "installment": self.installment,
            "intro": list(self.intro),
            "zones": [z.to_dict() for z in self.zones],
            "template": self.template,
            "confidence": round(self.confidence, 2),
            "warnings": list(self.warnings),
        }
        if self.truncated:  # only then: the JSON of every whole page stays as it was
            out["truncated"] = True
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        """Inverse of to_dict (used for fixtures' expected JSON and stored revisions)."""
        return cls(
            url=data.get("url"),
            title=data.get("title") or "",
            published=data.get("published"),
            source=data.get("source"),
            author=data.get("author"),
            editor=data.get("editor"),
            series=data.get("series"),
            year=data.get("year"),
            installment=data.get("installment"),
            intro=tuple(data.get("intro") or ()),
            zones=tuple(
                Zone(
                    name=z["name"],
                    paragraphs=tuple(z.get("paragraphs") or ()),
                    heading="" if z.get("heading") in (None, z["name"]) else z["heading"],
                    known=bool(z.get("known", True)),
                )
                for z in data.get("zones") or ()
            ),
            template=data.get("template") or "generic",
            confidence=float(data.get("confidence") or 0.0),
            warnings=tuple(data.get("warnings") or ()),
            published_precision=data.get("published_precision"),
            truncated=bool(data.get("truncated", False)),
        )
