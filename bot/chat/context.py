"""What a handler is given: the message, who sent it, the state read before it, and lazy access to the domain's needs.

The webhook costs two Redis round trips per message: one before the handler (the claim
on the message and everything listed in `Prefetch`: the dialog state, the `更多`
cursor, the contact gate, the catalogue's version) and one after it (the reply, and
every write gathered in `ctx.later`: dialog state, cursor, and what the session owes
once it commits — notices to queue, jobs to schedule, versions to bump). So handlers
read that state from here and never call Redis for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from redis.client import Pipeline
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from bot.chat.conversation import Conversation, ConversationStore, Later, conversation_key
from bot.chat.reply import Reply
from bot.chat.understanding import Intent, normalise
from bot.domain import catalogue, residents
from bot.domain.catalogue import Catalogue, Snapshot
from bot.domain.errors import UserError
from bot.runtime import queue
from bot.runtime.services import Services
from bot.storage import versions
from bot.storage.keys import key
from bot.storage.models import Resident, utc_now
from config import texts

# How long `更多` remembers which page of `活动` the person saw last.
PAGE_SECONDS = 600
# Marks a speech recogniser puts around what it heard.
_SPOKEN_MARKS = "。，,.！!？? "


def events_page_key(openid: str) -> str:
    return key("events_page", openid)


@dataclass(frozen=True)
class Prefetch:
    """The keys the webhook's first round trip reads for one message, next to its claim."""

    reads: tuple[str, ...]  # the dialog state, the `更多` cursor
    gate: str | None  # the contact gate, set if free (None: this message needs none)
    gate_ms: int
    version: str  # the catalogue's version

    @classmethod
    def for_message(cls, message) -> Prefetch:  # type: ignore[no-untyped-def]
        openid = message.source
        # Events always note contact (their window is a minute); an unfollow none.
        gated = message.type != "event"
        return cls(
            reads=(conversation_key(openid), events_page_key(openid)),
            gate=residents.contact_key(openid) if gated else None,
            gate_ms=residents.TOUCH_EVERY_MS,
            version=catalogue.version_key(),
        )


@dataclass(frozen=True)
class Prefetched:
    """What the first round trip brought back."""

    conversation: bytes | None = None
    events_page: bytes | None = None
    contact_due: bool = False
    catalogue_version: str = ""


class Context:
    """One incoming message or event, for one handler call."""

    def __init__(
        self, services: Services, message, state: Prefetched | None = None, catalogue_cache: Catalogue | None = None
    ) -> None:  # type: ignore[no-untyped-def]
        self.services = services
        self.settings = services.settings
        self.message = message
        self.openid: str = message.source
        self.state = state or Prefetched()
        self.intent: Intent | None = None
        self.scene: str = ""
        # Redis writes for the webhook's pipeline after the handler.
        self.later = Later()
        self._catalogue_cache = catalogue_cache or Catalogue()
        self._session: Session | None = None
        self._conn: Connection | None = None
        # Set by the router that dispatches this message: runs another command's handler.
        self.run_command: Callable[[Context, str, str], Reply] | None = None

        # What the understanding made of a text (`bot.chat.understanding.reader.Reading`).
        self.reading = None

    # ── text ───────────────────────────────────────────────────────────────
    @cached_property
    def heard(self) -> str:
        """For a voice message, the text WeChat recognised in it (`<Recognition>`); else empty."""
        if self.message.type != "voice":
            return ""
        return (getattr(self.message, "recognition", "") or "").strip()

    @property
    def has_text(self) -> bool:
        """A text message, or a voice message WeChat recognised: both are read as text."""
        return self.message.type == "text" or bool(self.heard)

    @cached_property
    def text(self) -> str:
        """The message text, folded and trimmed (see `bot.chat.understanding.normalise`).

        A voice message's recognition loses the full stop the recogniser ends it with, so
        it answers a dialog step (`张三。` is the name 张三) as typing would.
        """
        if self.heard:
            heard = normalise(self.heard)
            return heard.strip(_SPOKEN_MARKS) or heard
        return normalise(getattr(self.message, "content", "") or "")

    @property
    def args(self) -> str:
        return self.intent.args if self.intent else ""

    def number(self, word: str) -> int:
        """The activity number after the command word; a clear refusal when there is none."""
        number = self.intent.number if self.intent else None
        if number is None:
            raise UserError(texts.NEED_NUMBER.format(word=word))
        return number

    # ── state read before the handler, written after it ────────────────────
    @cached_property
    def conversations(self) -> ConversationStore:
        return ConversationStore(self.openid, self.settings.conversation_timeout, self.state.conversation, self.later)

    @cached_property
    def conversation(self) -> Conversation | None:
        return self.conversations.get()

    @property
    def contact_due(self) -> bool:
        """Whether this message is the one this minute that notes the person's contact."""
        return self.state.contact_due

    @property
    def events_cursor(self) -> str | None:
        """Where this person's last list of activities left off (for `更多`), if recently:
        the page of `活动` they saw, or what a narrowed list has not shown yet."""
        raw = self.state.events_page
        return raw.decode() if isinstance(raw, bytes) else raw

    def keep_events_cursor(self, cursor: str | int) -> None:
        self.later.set(events_page_key(self.openid), cursor, ex=PAGE_SECONDS)

    @cached_property
    def catalogue(self) -> Snapshot:
        """The catalogue as of this message's version: from memory unless it changed (then one SELECT)."""
        return self._catalogue_cache.snapshot(self.state.catalogue_version, lambda: catalogue.read(self.conn, utc_now()))

    @property
    def redis(self):  # type: ignore[no-untyped-def]
        """For what is not read before the handler (a rate limit, a broadcast's fan-out): a round trip of its own."""
        return self.services.redis

    # ── database ───────────────────────────────────────────────────────────
    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = self.services.db.session()
            self._session.info.update(self._after_commit_hooks())
        return self._session

    def _after_commit_hooks(self) -> dict:
        """What the session owes Redis once it commits goes into the pipeline after the handler."""
        redis = self.services.redis

        def enqueue(ids: list[int]) -> None:
            self.later.add(lambda pipe: queue.enqueue_new_notices(redis, ids, pipe))

        def schedule(jobs: list[tuple]) -> None:
            self.later.add(lambda pipe: queue.schedule_jobs(redis, jobs, pipe))

        def bump(names: list[str]) -> None:
            self.later.add(lambda pipe: versions.bump(pipe, *names))

        return {"enqueue_notices": enqueue, "schedule_jobs": schedule, "bump_version": bump}

    @property
    def conn(self) -> Connection:
        """A connection where each statement commits on its own (`Database.autocommit`):
        one round trip for a lookup, and nothing a handler's rollback could undo."""
        if self._conn is None:
            self._conn = self.services.db.autocommit()
        return self._conn

    @cached_property
    def resident(self) -> Resident:
        """The sender's row, created on first contact."""
        return residents.get_or_create(self.session, self.openid)

    def follow_up(self, word: str, args: str = "") -> Reply:
        """Run command `word` with `args` now, as if the person had sent it (registration
        finishing a sign-up it interrupted). Refusals propagate to the caller."""
        if self.run_command is None:
            raise RuntimeError("follow_up needs a router to dispatch this message")
        return self.run_command(self, word, args)

    def commit(self) -> None:
        if self._session is not None:
            self._session.commit()

    def rollback(self) -> None:
        if self._session is not None:
            self._session.rollback()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._session is not None:
            self._session.close()
            self._session = None

    def write_later(self, pipe: Pipeline) -> None:
        """Add this message's gathered writes to the webhook's pipeline after the handler."""
        self.later.into(pipe)
