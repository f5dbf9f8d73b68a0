"""The router: handlers registered by decorator, one signature, first match wins.

Every feature module owns a `Router`; the app factory includes them in a visible
order. Nothing is registered at import time on a global, so a second app in the same
process (as tests build) gets its own routes.

    router = Router("signup")

    @router.text("报名")
    def signup_start(ctx: Context) -> Reply: ...
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.chat.context import Context
from bot.chat.reply import Reply
from bot.chat.understanding import Intent, fits, reader, understand
from bot.chat.understanding.dialog import DIALOG
from bot.domain.errors import UserError
from config import texts

log = logging.getLogger(__name__)

Handler = Callable[[Context], Reply]


@dataclass(frozen=True)
class Route:
    kind: str  # text | click | scan | event | message | step | fallback
    match: str
    handler: Handler
    # Text routes that work even inside a dialog (`退出`).
    interrupts: bool = False


class Router:
    def __init__(self, name: str):
        self.name = name
        self.routes: list[Route] = []

    # ── registration ───────────────────────────────────────────────────────
    def _add(self, kind: str, matches: tuple[str, ...], interrupts: bool = False) -> Callable[[Handler], Handler]:
        def decorator(fn: Handler) -> Handler:
            for m in matches:
                self.routes.append(Route(kind, m, fn, interrupts))
            return fn

        return decorator

    def text(self, *words: str, interrupts: bool = False) -> Callable[[Handler], Handler]:
        """A command word (`报名`); the handler reads `ctx.intent.args`."""
        return self._add("text", words, interrupts)

    def click(self, *keys: str) -> Callable[[Handler], Handler]:
        """A custom-menu CLICK key (`EVENTS`)."""
        return self._add("click", keys)

    def scan(self, *prefixes: str) -> Callable[[Handler], Handler]:
        """A parametric QR scene prefix (`checkin` for `checkin:12`), by SCAN or by follow."""
        return self._add("scan", prefixes)

    def event(self, *names: str) -> Callable[[Handler], Handler]:
        """An event by name: `subscribe`, `unsubscribe`."""
        return self._add("event", names)

    def message(self, *types: str) -> Callable[[Handler], Handler]:
        """A message type other than text (`image`, `voice`, `*` for any)."""
        return self._add("message", types)

    def step(self, conversation: str, state: str) -> Callable[[Handler], Handler]:
        """One named state of a dialog; gets the person's next text while in it."""
        return self._add("step", (f"{conversation}:{state}",))

    def fallback(self) -> Callable[[Handler], Handler]:
        """Text nothing else understood."""
        return self._add("fallback", ("*",))

    def include(self, other: Router) -> None:
        self.routes.extend(other.routes)

    # ── lookup ─────────────────────────────────────────────────────────────
    def words(self) -> list[str]:
        return [r.match for r in self.routes if r.kind == "text"]

    def find(self, kind: str, match: str) -> Route | None:
        for route in self.routes:
            if route.kind == kind and route.match == match:
                return route
        return None

    def route_for(self, ctx: Context) -> Route | None:
        """Pick the one handler for this message; None means reply with nothing."""
        msg = ctx.message
        if ctx.has_text:
            intent = understand(ctx.text, self.words())
            if intent is not None and not fits(intent):
                intent = None  # `报名 后天的讲座`: free text after a command word
            if intent is not None:
                route = self.find("text", intent.word)
                if route is not None and route.interrupts:
                    ctx.intent = intent
                    return route
            conversation = ctx.conversation
            if conversation is not None and conversation.name == DIALOG:
                # An answer to the understanding's own question (`1`, `讲座那个`, `是`).
                answered = reader.answer(ctx, intent)
                if answered is not None:
                    return self._follow(ctx, answered)
            elif conversation is not None:
                route = self.find("step", f"{conversation.name}:{conversation.state}")
                if route is not None:
                    return route
                ctx.conversations.clear()  # a dialog state no longer defined: forget it
            if intent is not None:
                return self._follow(ctx, reader.vet(ctx, intent))
            return self._follow(ctx, reader.read(ctx))
        if msg.type == "event":
            event = (msg.event or "").lower()
            if event in ("subscribe_scan", "scan"):
                scene = str(getattr(msg, "scene_id", "") or getattr(msg, "key", "") or "")
                prefix = scene.split(":", 1)[0]
                route = self.find("scan", prefix)
                if route is not None:
                    ctx.scene = scene
                    return route
                event = "subscribe" if event == "subscribe_scan" else event
            if event == "click":
                return self.find("click", str(getattr(msg, "key", "") or ""))
            return self.find("event", event)
        return self.find("message", msg.type) or self.find("message", "*")

    def _follow(self, ctx: Context, reading: reader.Reading) -> Route | None:
        """The route a reading of the text leads to: its command's own handler, the
        understanding's own reply (a question back, a refusal), or the hint."""
        ctx.reading = reading
        if reading.intent is not None:
            ctx.intent = reading.intent
            return self.find("text", reading.intent.word)
        if reading.reply is not None:
            return _SAY
        return self.find("fallback", "*")

    def run_command(self, ctx: Context, word: str, args: str = "") -> Reply:
        """Run the handler of text command `word` with `args` on this message's context."""
        route = self.find("text", word)
        if route is None:
            raise LookupError(f"no handler for {word!r}")
        ctx.intent = Intent(word, args)
        return route.handler(ctx)

    def dispatch(self, ctx: Context) -> Reply:
        """Run the chosen handler; refusals become replies, bugs become `系统繁忙`."""
        ctx.run_command = self.run_command
        try:
            route = self.route_for(ctx)
            if route is None:
                return Reply.empty()
            reply = route.handler(ctx)
            ctx.commit()
            return _with_after(ctx, reply)
        except UserError as exc:
            ctx.rollback()
            return _with_after(ctx, Reply(exc.message))
        except Exception:
            ctx.rollback()
            log.exception("handler failed for %s", ctx.message.type)
            return Reply(texts.BUSY)


def _say(ctx: Context) -> Reply:
    """The understanding's own reply to free text (a question back, a refusal, a greeting)."""
    return Reply(ctx.reading.reply)


_SAY = Route("understood", "*", _say)


def _with_after(ctx: Context, reply: Reply) -> Reply:
    """Add what the reading keeps for after the reply: the answer to a question riding
    along (`…在哪儿集合？`), what a voice message was heard as."""
    after = ctx.reading.after if ctx.reading is not None else ()
    if not after or not reply:
        return reply
    return Reply(reply.text + "\n" + "\n".join(after))
