"""What a handler is given: the message, who sent it, and lazy access to the domain's needs."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from bot.chat.conversation import Conversation, ConversationStore
from bot.chat.reply import Reply
from bot.chat.understanding import Intent, normalise
from bot.domain import residents
from bot.domain.errors import UserError
from bot.runtime.services import Services
from bot.storage.models import Resident
from config import texts

# Marks a speech recogniser puts around what it heard.
_SPOKEN_MARKS = "。，,.！!？? "


class Context:
    """One incoming message or event, for one handler call."""

    def __init__(self, services: Services, message) -> None:  # type: ignore[no-untyped-def]
        self.services = services
        self.settings = services.settings
        self.message = message
        self.openid: str = message.source
        self.intent: Intent | None = None
        self.scene: str = ""
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

    # ── state ──────────────────────────────────────────────────────────────
    @cached_property
    def conversations(self) -> ConversationStore:
        return ConversationStore(self.services.redis, self.openid, self.settings.conversation_timeout)

    @cached_property
    def conversation(self) -> Conversation | None:
        return self.conversations.get()

    @property
    def redis(self):  # type: ignore[no-untyped-def]
        return self.services.redis

    # ── database ───────────────────────────────────────────────────────────
    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = self.services.db.session()
        return self._session

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
