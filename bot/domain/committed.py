"""Redis work a transaction owes once it commits: notices to queue, jobs to schedule, versions to bump.

Doing it before the commit could let a worker look for a row it cannot see yet, or let
another process cache what the transaction is about to change; doing it after a
rollback would announce what never happened. So the domain only says what is owed
(`owe`), and whoever opened the session says how it is paid (`session.info`, one hook
per kind, see `bot.runtime.services`): the webhook gathers it into the one pipeline it
sends after the handler; jobs, the CLI and the console pay it right after the commit.
A failed payment is logged, never raised: the commit stands, and the periodic sweep
re-queues whatever a lost enqueue left behind.

Kinds and what their hook is given:
- `enqueue_notices`: notice ids due now;
- `schedule_jobs`: (when, dotted function, args tuple, job id) to run at `when`;
- `bump_version`: names of versions (`catalogue`) whose cached copies are stale.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

KINDS = ("enqueue_notices", "schedule_jobs", "bump_version")
_OWED = "owed_after_commit"
_listening = False
_lock = threading.Lock()


def owe(session: Session, kind: str, *items: object) -> None:
    """Once `session` commits, hand `items` to the hook for `kind` (nothing if it rolls back)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of after-commit work {kind!r}")
    if not _listening:
        _listen()
    session.info.setdefault(_OWED, {}).setdefault(kind, []).extend(items)


def _listen() -> None:
    """Listen to every session's commits and rollbacks, once per process: a listener on one
    session costs a quarter of a millisecond to set up (a dispatcher of its own), on every message."""
    global _listening
    with _lock:
        if not _listening:
            event.listen(Session, "after_commit", _pay)
            event.listen(Session, "after_rollback", _forget)
            _listening = True


def _pay(session: Session) -> None:
    owed = session.info.pop(_OWED, None)
    if not owed:
        return
    for kind in KINDS:
        items = list(dict.fromkeys(owed.get(kind, ())))  # each once, in order
        if not items:
            continue
        hook = session.info.get(kind)
        if hook is None:  # a database opened without Redis at hand (a script): the sweep catches up
            log.info("%d × %s committed with nothing to hand them to", len(items), kind)
            continue
        try:
            hook(items)
        except Exception:  # Redis trouble must not fail what committed; the sweep catches up
            log.warning("could not hand %d × %s to Redis now", len(items), kind, exc_info=True)


def _forget(session: Session) -> None:
    session.info.pop(_OWED, None)
