"""The one series-title recogniser shared by parser and crawler, and its numerals."""

from __future__ import annotations

import pytest

from parsers.series import SERIES_NAME, circled_int, cn_int, match_series_title


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("三", 3),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("二十三", 23),
        ("两", 2),
        ("百", 100),
        ("一千二百", 1200),
        ("", None),
        ("三a", None),
        ("五期", None),
    ],
)
def test_cn_int(text: str, value: int | None) -> None:
    assert cn_int(text) == value


@pytest.mark.parametrize(
    ("ch", "value"), [("①", 1), ("⑳", 20), ("㉑", 21), ("㊿", 50), ("5", None), ("", None)]
)
def test_circled_int(ch: str, value: int | None) -> None:
    assert circled_int(ch) == value


@pytest.mark.parametrize(
    ("title", "year", "number"),
    [
        ("国家高新区密集部署 2024年这样干！⑤", 2024, 5),
        ("国家高新区密集部署\u30002019年这样干之二", 2019, 2),
        ("国家高新区密集部署 2022年这样干 第5期", 2022, 5),
        ("国家高新区密集部署这样干！②", None, 2),  # year then comes from the publication date
        ("国家高新区密集部署 2024年这样干！", 2024, None),  # a list cut the marker off
    ],
)
def test_series_titles(title: str, year: int | None, number: int | None) -> None:
    info = match_series_title(title)
    assert info is not None
    assert (info.series, info.year, info.installment) == (SERIES_NAME, year, number)


@pytest.mark.parametrize(
    "title",
    [
        "国家高新区密集部署新闻发布会召开",
        "版权与免责声明：①凡本网注明",
        "2024年国家高新区创新发展成绩单出炉",
    ],
)
def test_not_series_titles(title: str) -> None:
    assert match_series_title(title) is None
