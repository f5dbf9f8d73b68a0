"""How a person is named wherever a list of people is printed: rosters, the 签到表, exports.

Every such place calls `person_name`, so a change of how a person is shown (family
members signed up by someone else will read `姓名（代报：代报人）`, SPEC §11) is made
here once.
"""

from __future__ import annotations

from config import console_texts, texts

# The console and the exports fall back to this when a profile has no name (erased, never registered).
NO_NAME = texts.ROSTER_NO_NAME


def person_name(name: str | None, proxy_name: str | None = None) -> str:
    """`张三`, or `小明（代报：张三）` for someone signed up by `proxy_name`."""
    shown = name or NO_NAME
    if proxy_name:
        return console_texts.PROXY_NAME.format(name=shown, proxy=proxy_name)
    return shown
