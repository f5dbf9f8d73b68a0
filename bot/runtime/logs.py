"""Logging for a process: configured once, by whoever starts the process, and no phone
number ever reaches a log.

`configure` is called by the process's entry point (wsgi.py for gunicorn and the
`flask` commands, the dev runner, the test suite); the app factory does not touch
logging, so building a second app changes nothing.
"""

from __future__ import annotations

import logging
import re

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# An 11-digit mainland mobile number not inside a longer run of digits, with or without
# +86 in front and the spaces or dashes people type (`138 0013 8000`).
_MOBILE = re.compile(r"(?<!\d)((?:\+?86[- ]?)?)(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")


def mask_phones(text: str) -> str:
    """Replace every mobile number in `text` by its masked form `138****8000`."""
    return _MOBILE.sub(r"\1\2****\4", text)


class PhoneMaskFilter(logging.Filter):
    """Masks mobile numbers in a log record's message, arguments and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logging's problem, not ours
            return True
        masked = mask_phones(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            # Exceptions carry SQL parameters and user input; format them now, masked.
            record.exc_text = mask_phones(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = mask_phones(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_phones(record.stack_info)
        return True


_FILTER = PhoneMaskFilter()


def install_log_filter() -> None:
    """Mask phone numbers in every log record this process creates, whatever logger or handler.

    A filter on one logger misses records of its children, and one on a handler misses
    handlers added later (gunicorn's, pytest's); wrapping the record factory covers all.
    Installing twice is harmless.
    """
    factory = logging.getLogRecordFactory()
    if getattr(factory, "masks_phones", False):
        return

    def masking_factory(*args, **kwargs) -> logging.LogRecord:  # type: ignore[no-untyped-def]
        record = factory(*args, **kwargs)
        _FILTER.filter(record)
        return record

    masking_factory.masks_phones = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(masking_factory)


def configure(level: str = "INFO") -> None:
    """Set up the root logger for this process (format, level) and mask phone numbers."""
    logging.basicConfig(format=FORMAT)
    # Set apart from basicConfig, which does nothing once the root logger has a handler.
    logging.getLogger().setLevel(level.upper())
    install_log_filter()
