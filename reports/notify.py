"""Notifications through Apprise: a short text summary of the weekly report, to any of Apprise's
services (DingTalk, WeCom, Feishu/Lark, Telegram, Slack, e-mail, a JSON endpoint, ...).

Apprise (https://github.com/caronc/apprise) is a well-kept library that already speaks 100+
notification services; writing and maintaining our own client for each would be worse. The URL,
which carries the service's secret (a bot token, a webhook key), comes from an environment
variable (`url_env`) and is never logged: Apprise's own log lines are kept out of ours and only
read, scrubbed, to explain a failure.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from chihwatch.deadline import DeadlineExpired, run_within
from chihwatch.errors import ConfigError, OutputError
from chihwatch.urls import redact_url
from reports.deliver import report_basename, report_title
from reports.targets import DEFAULT_DEADLINE, Secret, _secret, header_safe, scrub, seconds

__all__ = ["AppriseTarget", "summary_text", "figure_changes"]

logger = logging.getLogger(__name__)

# Apprise logs to "apprise" and its HTTP client to "urllib3"; their lines can hold a service URL
# with its token in the path. They never reach our log (nor Python's last-resort stderr handler).
for _name in ("apprise", "urllib3"):
    logging.getLogger(_name).propagate = False
    logging.getLogger(_name).addHandler(logging.NullHandler())

ATTACH_FORMATS = ("html", "md", "none")


@dataclass(frozen=True)
class AppriseTarget:
    """Send a short summary (and the report as an attachment, or a link to it) via Apprise."""

    url: Secret
    title_prefix: str = "[chihwatch]"
    attach: str = "html"  # the report file attached: "html", "md" or "none"
    link: str | None = None  # base URL where the directory target's files are served
    timeout: float = 30.0
    deadline: float = DEFAULT_DEADLINE

    def describe(self) -> str:
        return f"apprise {redact_url(self.url.reveal())}"

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> AppriseTarget:
        url = _secret(cfg, "url", required=True)
        assert url is not None
        if not _apprise().Apprise().add(url.reveal()):
            # Never echo the URL: it is the secret.
            where = f"the URL in {cfg['url_env']}" if cfg.get("url_env") else "url"
            raise ConfigError(f"apprise target: {where} is not a notification URL Apprise knows")
        attach = str(cfg.get("attach", "html")).lower()
        if attach not in ATTACH_FORMATS:
            raise ConfigError(f"apprise attach: one of {', '.join(ATTACH_FORMATS)}, not {attach!r}")
        link = cfg.get("link")
        if link is not None:
            if not isinstance(link, str) or not link.startswith(("http://", "https://")):
                raise ConfigError("apprise link: expected an http(s) URL")
            header_safe(link, "apprise link")
        prefix = cfg.get("title_prefix", "[chihwatch]")
        if not isinstance(prefix, str):
            raise ConfigError("apprise title_prefix: expected a string")
        return cls(
            url=url,
            title_prefix=header_safe(prefix, "apprise title_prefix"),
            attach=attach,
            link=link,
            timeout=seconds(cfg, "timeout", 30.0),
            deadline=seconds(cfg, "deadline", DEFAULT_DEADLINE),
        )

    def send_report(
        self,
        data: Mapping[str, Any],
        fmts: Sequence[str],
        *,
        since: datetime,
        until: datetime,
    ) -> list[str]:
        """The summary, with the report attached (or linked); returns where it went."""
        from reports import EXTENSIONS, render

        stem = report_basename(since, until)
        link = None
        if self.link:
            ext = "html" if "html" in fmts else EXTENSIONS[fmts[0]] if fmts else "html"
            link = f"{self.link.rstrip('/')}/{stem}.{ext}"
        body = summary_text(data, since, until, link=link)
        title = f"{self.title_prefix} {report_title(data, since, until)}".strip()
        attachment = None
        if self.attach != "none":
            attachment = (f"{stem}.{EXTENSIONS[self.attach]}", render(data, self.attach))
        self._notify(title, body, attachment)
        return [self.describe()]

    def send_test(self) -> list[str]:
        """A short test message (`chihwatch notify --test`)."""
        self._notify(
            f"{self.title_prefix} test message".strip(),
            "chihwatch 测试消息：this target is configured correctly.",
            None,
        )
        return [self.describe()]

    def _notify(self, title: str, body: str, attachment: tuple[str, str] | None) -> None:
        apprise = _apprise()
        where = self.describe()
        logger.info("notifying %s", where)
        with tempfile.TemporaryDirectory(prefix="chihwatch-notify-") as tmp:
            attach = None
            if attachment is not None:
                path = Path(tmp) / attachment[0]
                path.write_text(attachment[1], encoding="utf-8")
                attach = apprise.AppriseAttachment(str(path))

            def send() -> tuple[bool, str]:
                obj = apprise.Apprise()
                obj.add(self.url.reveal())
                for plugin in obj:
                    plugin.socket_connect_timeout = self.timeout
                    plugin.socket_read_timeout = self.timeout
                with apprise.LogCapture(level=logging.WARNING) as captured:
                    ok = obj.notify(body=body, title=title, attach=attach)
                    return bool(ok), captured.getvalue()

            try:
                ok, log_text = run_within(send, self.deadline, where)
            except DeadlineExpired as exc:
                state = (
                    "interrupted (daemon stopping)" if str(exc) == "stopping" else "did not finish"
                )
                raise OutputError(f"{where} {state} after {self.deadline:g}s") from None
        if not ok:
            reason = _last_line(scrub(log_text, self.url)) or "Apprise reported a failure"
            raise OutputError(f"{where} failed: {reason}")


def _apprise() -> Any:
    try:
        import apprise
    except ModuleNotFoundError:  # pragma: no cover - a dependency of the package
        raise ConfigError(
            "apprise targets need the apprise package (pip install apprise)"
        ) from None
    return apprise


def _last_line(text: str) -> str:
    lines = [ln.split(" - ", 2)[-1].strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""


def figure_changes(data: Mapping[str, Any]) -> int:
    """Targets (指标) whose value changed against the zone's earlier section, over the report."""
    count = 0
    for item in list(data.get("new_installments") or []) + list(data.get("revisions") or []):
        for section in item.get("sections") or []:
            count += len(section.get("target_changes") or [])
    return count


def summary_text(
    data: Mapping[str, Any], since: datetime, until: datetime, *, link: str | None = None
) -> str:
    """A few plain lines a chat message can hold: what is new, what changed, crawl health."""
    from reports import model

    s = data.get("summary") or {}
    news = list(data.get("new_installments") or [])
    revisions = list(data.get("revisions") or [])
    problems = list(data.get("crawl_problems") or [])
    lines = [report_title(data, since, until)]
    lines.append(f"新增期次：{s.get('new_installments', len(news))}")
    for item in news[:10]:
        zones = "、".join(item.get("zones") or [])
        lines.append(f"· {model.installment_label(item)} {item.get('title') or ''}".rstrip())
        if zones:
            lines.append(f"  {zones}")
    lines.append(f"被修改期次：{s.get('edited_installments', len(revisions))}")
    for rev in revisions[:10]:
        lines.append(f"· {model.installment_label(rev)} {rev.get('title') or ''}".rstrip())
    lines.append(f"指标变化：{figure_changes(data)}")
    if s.get("suspects"):
        lines.append(f"可疑页面：{s['suspects']}")
    if problems:
        lines.append(
            f"抓取问题：{len(problems)} 次抓取失败或中断（最近：{problems[-1].get('error')}）"
        )
    else:
        lines.append("抓取：本期没有失败的抓取")
    if link:
        lines.append(f"完整报告：{link}")
    return "\n".join(lines) + "\n"
