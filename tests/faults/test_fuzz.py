"""Property tests of the parser: bad bytes raise only ParseError; normalisation is idempotent.

Hypothesis runs derandomised (a fixed seed per test), so CI sees the same inputs every run;
max_examples is kept modest so the file runs in well under a minute.
"""

from __future__ import annotations

import html
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chihwatch.errors import ParseError
from parsers import parse
from parsers.model import Article
from parsers.normalize import norm_text
from storage import open_store
from tests.support.crawlkit import record_figures
from tests.support.storecheck import consistency_problems

PAGES = Path(__file__).resolve().parents[2] / "fixtures" / "pages"
REAL = {p.name: p.read_bytes() for p in sorted(PAGES.glob("*.html"))}
ARTICLES = sorted(n for n in REAL if "-list-" not in n)

FUZZ = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
URL = "http://www.chinahightech.com/html/hotnews/yaowen/2024/0206/5700517.html"

_fuzzed = {"n": 0}


@pytest.fixture(scope="module", autouse=True)
def _count() -> Iterator[None]:
    yield
    record_figures(inputs_fuzzed=_fuzzed["n"])


def parse_or_parse_error(data: bytes, headers: dict[str, str] | None = None) -> Article | None:
    """parse(); None for a documented ParseError. Anything else propagates and fails the test."""
    _fuzzed["n"] += 1
    try:
        article = parse(data, url=URL, headers=headers)
    except ParseError as exc:
        assert str(exc), "a ParseError must say what is wrong"
        return None
    assert isinstance(article, Article)
    return article


def test_the_real_pages_parse() -> None:
    """The mutations below start from pages that parse (else the fuzzing proves little)."""
    assert len(ARTICLES) >= 10
    for name in ARTICLES:
        assert parse_or_parse_error(REAL[name]) is not None, name


# -- arbitrary bytes -----------------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=4096))
def test_arbitrary_bytes(data: bytes) -> None:
    parse_or_parse_error(data)


HTMLISH = st.text(
    alphabet=st.sampled_from(
        list("<>/=\"' &;#!-?abcdehlmoprstuvy123\n\t\u3000\xa0国家高新区密集部署年这样干①②③")
    ),
    max_size=600,
)


@FUZZ
@given(
    HTMLISH,
    st.sampled_from(["utf-8", "gbk", "utf-16", "latin-1"]),
    st.one_of(
        st.none(),
        st.sampled_from(
            [
                "text/html",
                "text/html; charset=utf-8",
                "text/html; charset=gbk",
                "text/html; charset=bogus-42",
                "application/octet-stream",
                "text/html; charset=",
            ]
        ),
    ),
)
def test_html_like_text(text: str, encoding: str, ctype: str | None) -> None:
    data = text.encode(encoding, "replace")
    parse_or_parse_error(data, {"Content-Type": ctype} if ctype else None)


# -- mutated real pages --------------------------------------------------------------------------


@st.composite
def mutated_page(draw: st.DrawFn) -> bytes:
    page = bytearray(REAL[draw(st.sampled_from(ARTICLES))])
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(
            st.sampled_from(["flip", "delete", "insert", "truncate", "duplicate", "tag", "nul"])
        )
        at = draw(st.integers(0, max(0, len(page) - 1)))
        if kind == "flip" and page:
            page[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "delete":
            del page[at : at + draw(st.integers(1, 4000))]
        elif kind == "insert":
            page[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "truncate":
            del page[at:]
        elif kind == "duplicate":
            page[at:at] = page[at : at + draw(st.integers(1, 8000))]
        elif kind == "tag":
            page[at:at] = draw(
                st.sampled_from(
                    [
                        b"<p>",
                        b"</div>",
                        b'<div class="content">',
                        b"<script>",
                        b"<!--",
                        b"<table><tr><td>",
                        b"<h1>",
                        b"]]>",
                        b"&#0;",
                        b"&#xD800;",
                        b'<meta charset="gbk">',
                        b"<?xml version='1.0'?>",
                    ]
                )
            )
        elif kind == "nul":
            page[at:at] = b"\0" * draw(st.integers(1, 200))
    return bytes(page)


@FUZZ
@given(mutated_page())
def test_mutated_real_pages(page: bytes) -> None:
    article = parse_or_parse_error(page)
    if article is not None:
        assert article.confidence == article.confidence and 0.0 <= article.confidence <= 1.0
        assert all(isinstance(p, str) for p in article.paragraphs)


@FUZZ
@given(mutated_page())
def test_parse_is_deterministic(page: bytes) -> None:
    first = parse_or_parse_error(page)
    second = parse_or_parse_error(page)
    assert (first.to_dict() if first else None) == (second.to_dict() if second else None)


def test_deeply_nested_markup() -> None:
    """A page nested 100,000 levels deep is a ParseError or an Article, not a RecursionError."""
    parse_or_parse_error(
        b"<html><body>" + b"<div>" * 100_000 + "国家高新区".encode() * 50 + b"</div>" * 100_000
    )


# -- normalisation ---------------------------------------------------------------------------------

WS_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(
            [
                " ",
                "\t",
                "\n",
                "\r",
                "\f",
                "\v",
                "\xa0",
                "\u3000",
                "\u2002",
                "\u200b",
                "\u202f",
                "\ufeff",
                "\u2028",
                "\x1c",
                "\x85",
            ]
        ),
        st.characters(codec="utf-8"),
    ),
    max_size=200,
)


@FUZZ
@given(WS_TEXT)
def test_norm_text_is_idempotent(s: str) -> None:
    _fuzzed["n"] += 1
    once = norm_text(s)
    assert norm_text(once) == once
    assert once == once.strip()  # no padding left at the ends


def _serialise(a: Article) -> bytes:
    """The article as a plain page: title, intro, each zone's heading and paragraphs."""
    body = "".join(f"<p>{html.escape(p)}</p>" for p in a.intro)
    for z in a.zones:
        body += f"<p><strong>{html.escape(z.heading or z.name)}</strong></p>"
        body += "".join(f"<p>{html.escape(p)}</p>" for p in z.paragraphs)
    t = html.escape(a.title)
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{t}</title></head><body>'
        f'<h1>{t}</h1><div class="content">{body}</div></body></html>'
    ).encode()


def _text_of(a: Article) -> tuple[object, ...]:
    return (a.title, a.year, a.installment, a.paragraphs, tuple(z.name for z in a.zones))


@pytest.mark.parametrize("name", ARTICLES)
def test_parse_serialise_is_idempotent_on_real_pages(name: str) -> None:
    a = parse_or_parse_error(REAL[name])
    assert a is not None
    again = parse_or_parse_error(_serialise(a))
    assert again is not None and _text_of(again) == _text_of(a)
    d = a.to_dict()
    assert Article.from_dict(d).to_dict() == d


@FUZZ
@given(mutated_page())
def test_parse_serialise_is_idempotent_on_mutated_pages(page: bytes) -> None:
    """Once parsed, a page's text survives serialise + parse unchanged (a fixed point after one step)."""
    a = parse_or_parse_error(page)
    if a is None or not a.paragraphs:
        return
    b = parse_or_parse_error(_serialise(a))
    if b is None:
        return  # the serialised text alone may be too short to be an article: that is a ParseError
    c = parse_or_parse_error(_serialise(b))
    assert c is not None and _text_of(c) == _text_of(b)


# -- the store under random sequences of good and bad responses ------------------------------------

_STORE_PAGE = REAL["chih2019-2024-03.html"]
_EDITED = _STORE_PAGE.replace("增长6%".encode(), "增长7%".encode(), 1)
assert _EDITED != _STORE_PAGE
HEALTHY = {"page": _STORE_PAGE, "edited": _EDITED}
# Deliveries that must never make a revision: (status, body, error).
BROKEN = {
    "truncated": (200, _STORE_PAGE[: int(len(_STORE_PAGE) * 0.35)], None),
    "empty": (200, b"", None),
    "binary": (200, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, None),
    "http500": (500, b"<html><body><h1>500</h1></body></html>", None),
    "http404": (404, b"<html><body><h1>404</h1></body></html>", None),
    "not_modified": (304, None, None),
    "timeout": (0, None, "TimeoutError: took longer than 30 seconds"),
}
KINDS = st.sampled_from(sorted(HEALTHY) + sorted(BROKEN))


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite store to copy (migrating per example would dominate the run)."""
    path = tmp_path_factory.mktemp("fuzz-store") / "empty.db"
    open_store(f"sqlite:///{path}").close()
    return path


STORE_FUZZ = settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@STORE_FUZZ
@given(st.lists(st.tuples(st.just("a"), KINDS), min_size=1, max_size=12))
def test_store_sequences_on_one_url(
    empty_store: Path, tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, str]]
) -> None:
    """One URL gets random healthy and broken deliveries after a first healthy one: a revision
    exactly when its healthy content changed, never for a broken delivery or the recovery from one."""
    _check_store_sequence(empty_store, tmp_path_factory, steps)


@STORE_FUZZ
@given(st.lists(st.tuples(st.sampled_from(["a", "b"]), KINDS), min_size=1, max_size=12))
# Found by this test: b's unchanged copy comes back after one broken delivery on b.
@example(steps=[("a", "edited"), ("b", "edited"), ("a", "page"), ("b", "binary"), ("b", "edited")])
def test_store_sequences_on_two_urls(
    empty_store: Path, tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, str]]
) -> None:
    """The same with two URLs of one installment (an old and a re-published copy), which may
    disagree: then the latest revision is the copy that changed last, and a broken delivery on one
    copy must not make its unchanged text a revision again."""
    _check_store_sequence(empty_store, tmp_path_factory, steps)


def _check_store_sequence(
    empty_store: Path, tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, str]]
) -> None:
    """A revision appears exactly when a URL's healthy content changed since that URL's last
    healthy delivery and differs from the installment's latest text."""
    steps = [("a", "page"), *steps]
    path = tmp_path_factory.mktemp("seq") / "s.db"
    shutil.copyfile(empty_store, path)
    url = f"sqlite:///{path}"
    at = datetime(2025, 3, 1, tzinfo=UTC)
    last_healthy: dict[str, str] = {}
    latest: str | None = None
    expected = 0
    with open_store(url) as store:
        for i, (which, kind) in enumerate(steps):
            _fuzzed["n"] += 1
            page_url = f"http://www.chinahightech.com/html/hotnews/yaowen/2024/0131/{which}.html"
            when = at + timedelta(minutes=i)
            if kind in HEALTHY:
                res = store.record_response(
                    page_url,
                    status=200,
                    headers={"Content-Type": "text/html; charset=utf-8"},
                    body=HEALTHY[kind],
                    fetched_at=when,
                )
                changed = last_healthy.get(which) != kind and kind != latest
                assert res.revision_new == changed, (i, steps[: i + 1], res)
                expected += changed
                last_healthy[which] = kind
                latest = kind if changed else latest
            else:
                status, body, error = BROKEN[kind]
                res = store.record_response(
                    page_url, status=status, headers={}, body=body, error=error, fetched_at=when
                )
                assert not res.revision_new and not res.installment_new, (i, kind, res)
        listed = store.list_installments()
    assert [i["revisions"] for i in listed] == ([expected] if expected else [])
    assert consistency_problems(url) == []
