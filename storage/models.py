"""SQLAlchemy 2.0 typed models of the store: pages, blobs, fetches, installments, revisions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "Base",
    "Page",
    "Blob",
    "Fetch",
    "Installment",
    "Revision",
    "Section",
    "Event",
    "scheduler_runs",
    "scheduler_lock_holder",
    "APSCHEDULER_TABLE",
]

# APScheduler's SQLAlchemyJobStore creates and owns this one; migrations leave it alone.
APSCHEDULER_TABLE = "scheduler_jobs"


class Base(DeclarativeBase):
    """Declarative base; every timestamp is naive UTC (SQLite has no time zones)."""


class Blob(Base):
    """Raw response bytes, content-addressed by sha256 and compressed (zlib)."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)  # uncompressed length
    compression: Mapped[str] = mapped_column(String(8), default="zlib")
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Page(Base):
    """One URL we know; points at the installment it carries, if any."""

    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    first_seen: Mapped[datetime] = mapped_column(DateTime)
    last_fetched: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[int | None] = mapped_column(Integer)
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    # sha of the last 200 body: identical bytes again need no parse at all.
    last_blob_sha: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    # The last *good* 200 body (parsed, not suspect) and its content hash: a broken delivery in
    # between must not make this URL's unchanged text news again (issue 7).
    good_blob_sha: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    good_body_hash: Mapped[str | None] = mapped_column(String(64))
    installment_id: Mapped[int | None] = mapped_column(
        ForeignKey("installments.id", ondelete="SET NULL"), index=True
    )


class Fetch(Base):
    """One HTTP exchange: kept small, because every crawl adds one per page."""

    __tablename__ = "fetches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    fetched_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[int] = mapped_column(Integer)
    blob_sha: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    content_type: Mapped[str | None] = mapped_column(String(255))  # charset for reparse
    request_url: Mapped[str | None] = mapped_column(String(2048))  # only when redirected
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_fetches_page_time", "page_id", "fetched_at"),)


class Installment(Base):
    """One installment of the series, identified by (series, year, number) whatever its URL."""

    __tablename__ = "installments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series: Mapped[str] = mapped_column(String(255))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(2048))  # where it was last seen
    published: Mapped[str | None] = mapped_column(String(40))
    first_seen: Mapped[datetime] = mapped_column(DateTime, index=True)
    last_seen: Mapped[datetime] = mapped_column(DateTime)
    # When a healthy copy gave it content (None while only a suspect first copy was seen): the
    # report announces an installment as new then, once.
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    # Denormalised pointer so "latest sections" is a join, not a max() per installment.
    latest_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revisions.id", use_alter=True, name="fk_installments_latest_revision"),
        index=True,
    )

    revisions: Mapped[list[Revision]] = relationship(
        back_populates="installment",
        foreign_keys="Revision.installment_id",
        order_by="Revision.seq",
    )

    __table_args__ = (
        UniqueConstraint("series", "year", "number", name="uq_installments_identity"),
        Index("ix_installments_year_number", "year", "number"),
    )


class Revision(Base):
    """A distinct parsed content of an installment (normalised body + zones)."""

    __tablename__ = "revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installment_id: Mapped[int] = mapped_column(ForeignKey("installments.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, ... within the installment
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    cause: Mapped[str] = mapped_column(String(16))  # "site" | "parser"
    fetch_id: Mapped[int | None] = mapped_column(ForeignKey("fetches.id", ondelete="SET NULL"))
    parser_version: Mapped[str] = mapped_column(String(32))
    body_hash: Mapped[str] = mapped_column(String(64))
    body_chars: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str | None] = mapped_column(String(255))
    author: Mapped[str | None] = mapped_column(String(255))
    editor: Mapped[str | None] = mapped_column(String(255))
    template: Mapped[str] = mapped_column(String(32), default="generic")
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    intro: Mapped[str] = mapped_column(Text, default="")  # paragraphs joined by "\n"
    # Made from a suspect first copy of a new installment: the next healthy copy replaces it.
    provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    installment: Mapped[Installment] = relationship(
        back_populates="revisions", foreign_keys=[installment_id]
    )
    sections: Mapped[list[Section]] = relationship(
        back_populates="revision", order_by="Section.position", cascade="all, delete-orphan"
    )

    __table_args__ = (UniqueConstraint("installment_id", "seq", name="uq_revisions_seq"),)


class Section(Base):
    """One zone's paragraphs within a revision (canonical zone name)."""

    __tablename__ = "sections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    zone: Mapped[str] = mapped_column(String(255))
    heading: Mapped[str] = mapped_column(String(255), default="")
    text: Mapped[str] = mapped_column(Text)  # paragraphs joined by "\n"

    revision: Mapped[Revision] = relationship(back_populates="sections")

    __table_args__ = (
        Index("ix_sections_revision", "revision_id", "position"),
        Index("ix_sections_zone", "zone", "revision_id"),
    )


class Event(Base):
    """Something worth reporting that is not a revision: suspect parse, availability, parse error."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "suspect" | "availability" | "parse_error"
    at: Mapped[datetime] = mapped_column(DateTime)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    fetch_id: Mapped[int | None] = mapped_column(ForeignKey("fetches.id", ondelete="SET NULL"))
    installment_id: Mapped[int | None] = mapped_column(
        ForeignKey("installments.id", ondelete="SET NULL")
    )
    status: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[float | None] = mapped_column(Float)
    title: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_events_kind_at", "kind", "at"),)


# The daemon's tables (scheduler/state.py, scheduler/lock.py), created by migration 0002 so every
# schema change goes through Alembic and the parity test covers them.
scheduler_runs = Table(
    "scheduler_runs",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", String(32), nullable=False, index=True),
    Column("started", DateTime(timezone=True), nullable=False),
    Column("finished", DateTime(timezone=True), nullable=True),
    # running | ok | failed | interrupted (the daemon stopped or died during the run)
    Column("status", String(16), nullable=False),
    Column("figures", Text, nullable=True),  # JSON: CrawlSummary.to_dict() or report paths
    Column("error", Text, nullable=True),
)

# Who holds the PostgreSQL daemon lock (the advisory lock itself names no process).
scheduler_lock_holder = Table(
    "scheduler_lock_holder",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("pid", Integer, nullable=False),
    Column("host", Text, nullable=False),
    Column("started", Text, nullable=False),
)
