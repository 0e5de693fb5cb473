"""chihwatch.urls: what a log line or `chihwatch status` may show of a URL that holds a secret."""

from __future__ import annotations

import pytest

from chihwatch.urls import redact_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.example.com/services/T0/B0/XYZsecret", "https://hooks.example.com/…"),
        ("http://127.0.0.1:8080/hook?token=s3cr3t", "http://127.0.0.1:8080/…"),
        ("https://user:pw@example.com", "https://example.com/"),
        ("https://example.com/?key=abc", "https://example.com/…"),
        ("tgram://123456:AAbottoken/987654", "***"),  # a bad port: no host to trust
        ("json://notify.example.org:9000/", "json://notify.example.org:9000/"),
        # Apprise schemes that put a token where a host goes: the bare word is hidden too.
        ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", "slack://***/…"),
        ("pover://uQiRzpo4DXghDmr9QzzfQu27cmVRsG@azGDORePK8gMaC0QOYAMyEEuzJnyUi", "pover://***/"),
        ("discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js", "discord://***/…"),
        ("json://localhost:8000/hook", "json://localhost:8000/…"),
        ("http://[::1]:8080/hook", "http://::1:8080/…"),
    ],
)
def test_a_url_keeps_its_scheme_host_and_port_only(url: str, shown: str) -> None:
    assert redact_url(url) == shown


@pytest.mark.parametrize(
    "text",
    ["/srv/reports/chihwatch-report-20240205-20240212.md", "mailto:ops@example.com", "apprise x"],
)
def test_what_is_not_a_url_stays_as_it_is(text: str) -> None:
    assert redact_url(text) == text
