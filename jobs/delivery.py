"""Sending notices: one job per notice, safe to run twice (the notice row says whether it went out)."""

from __future__ import annotations

from bot.runtime.services import for_jobs
from bot.wechat import delivery


def send_notice(notice_id: int) -> str:
    """Send one notice to its person exactly once; WeChat's "not now" raises, and RQ retries later."""
    return delivery.deliver(for_jobs(), notice_id)
