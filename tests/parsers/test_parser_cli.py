"""The `parse` and `fixtures` commands end to end, including save over HTTP on 127.0.0.1."""

from __future__ import annotations

import http.server
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from chihwatch.cli import main
from chihwatch.cli.fixturecheck import body_score
from parsers import parse
from tests.parsers.chihparse_pages import P1, old_page, series_body


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def page_file(tmp_path: Path) -> Path:
    path = tmp_path / "p.html"
    path.write_bytes(old_page(series_body()).encode("utf-8"))
    return path


def test_parse_json(page_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["parse", str(page_file), "--url", "http://x.invalid/a.html"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data == parse(page_file.read_bytes(), url="http://x.invalid/a.html").to_dict()
    assert "威海高新区" in out  # ensure_ascii=False: Chinese as is
    assert out.startswith('{\n  "url": "http://x.invalid/a.html"')


def test_parse_text_from_stdin(
    page_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(page_file.read_bytes())))
    code, out, _ = run(["parse", "-", "--format", "text"], capsys)
    assert code == 0
    assert out.splitlines()[0] == "国家高新区密集部署 2024年这样干！⑤"
    assert "== 威海高新区 ==" in out and P1 in out


@pytest.mark.parametrize(
    ("content", "code", "message"),
    [
        (None, 3, "cannot read"),
        (b"", 4, "empty input"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), 4, "binary"),
        (b"just words", 4, "not HTML"),
        (b"<html><body><ul><li><a href='/1'>one</a></li></ul></body></html>", 4, "no article"),
    ],
    ids=["missing", "empty", "binary", "text", "no-article"],
)
def test_parse_errors_are_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes | None,
    code: int,
    message: str,
) -> None:
    path = tmp_path / "in.html"
    if content is not None:
        path.write_bytes(content)
    got, out, err = run(["parse", str(path)], capsys)
    assert got == code
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A static HTTP server on 127.0.0.1 serving a temporary directory."""
    root = tmp_path / "site"
    root.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):  # type: ignore[no-untyped-def]
            super().__init__(*a, directory=str(root), **kw)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_parse_url_and_unreachable_url(
    server: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    base, root = server
    (root / "a.html").write_bytes(
        old_page(series_body()).encode("gbk").replace(b'charset="utf-8"', b'charset="gbk"')
    )
    code, out, _ = run(["parse", f"{base}/a.html"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["url"] == f"{base}/a.html" and [z["name"] for z in data["zones"]] == [
        "威海高新区",
        "天津高新区",
    ]
    code, out, err = run(["parse", f"{base}/missing.html"], capsys)
    assert code == 3 and "HTTP 404" in err


def test_fixtures_save_check_update(
    server: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, root = server
    served = old_page(series_body()).encode("utf-8")
    (root / "inst5.html").write_bytes(served)
    out_dir = tmp_path / "pages"
    url = f"{base}/inst5.html"

    code, out, err = run(["fixtures", "save", url, "inst5", "--dir", str(out_dir)], capsys)
    assert code == 0, err
    assert "DRAFT" in out
    assert (out_dir / "inst5.html").read_bytes() == served
    draft = json.loads((out_dir / "inst5.json").read_text(encoding="utf-8"))
    assert draft == parse(served, url=url).to_dict()

    code, _, err = run(["fixtures", "save", url, "inst5", "--dir", str(out_dir)], capsys)
    assert code == 2 and "already exists" in err and "--force" in err

    code, out, _ = run(["fixtures", "check", "--dir", str(out_dir)], capsys)
    assert code == 0 and "inst5" in out
    code, out, _ = run(["fixtures", "check", "--json", "--dir", str(out_dir)], capsys)
    (row,) = json.loads(out)
    assert (
        code == 0 and row["name"] == "inst5" and row["ok"] and row["f1"] == 1.0 and row["zones_ok"]
    )

    # A wrong expectation (a zone renamed, a paragraph dropped) makes the check fail with exit 1.
    broken = dict(draft)
    broken["zones"] = [dict(draft["zones"][0], name="兰州高新区"), draft["zones"][1]]
    broken["intro"] = []
    (out_dir / "inst5.json").write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    code, out, err = run(["fixtures", "check", "--dir", str(out_dir), "inst5"], capsys)
    assert code == 1 and "FAIL" in out and "1 of 1 fixtures failed" in err

    code, out, _ = run(["fixtures", "update", "inst5", "--dir", str(out_dir)], capsys)
    assert code == 0 and "rewrote" in out and "zones:" in out and "intro: 0 -> 1 paragraphs" in out
    assert json.loads((out_dir / "inst5.json").read_text(encoding="utf-8")) == draft
    code, out, _ = run(["fixtures", "update", "inst5", "--dir", str(out_dir)], capsys)
    assert code == 0 and "unchanged" in out


def test_fixtures_check_unknown_name(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "x.html").write_bytes(old_page(series_body()).encode("utf-8"))
    (tmp_path / "x.json").write_text('{"url": null, "error": "NoArticle"}', encoding="utf-8")
    code, _, err = run(["fixtures", "check", "--dir", str(tmp_path), "nosuch"], capsys)
    assert code == 3 and "no such fixture" in err


def test_body_score_counts_section_and_characters() -> None:
    exp = {"intro": ["甲乙丙丁"], "zones": [{"name": "z", "paragraphs": ["戊己"]}]}
    assert body_score(exp, exp).f1 == 1.0
    moved = {"intro": ["甲乙丙丁", "戊己"], "zones": [{"name": "z", "paragraphs": []}]}
    score = body_score(exp, moved)
    assert score.precision == pytest.approx(4 / 6) and score.recall == pytest.approx(4 / 6)
    extra = {"intro": ["甲乙丙丁 版权"], "zones": [{"name": "z", "paragraphs": ["戊己"]}]}
    score = body_score(exp, extra)
    assert score.recall == 1.0 and score.precision == pytest.approx(6 / 8)
