"""What a handler returns: an explicit reply, rendered to XML only by the webhook."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reply:
    """A passive reply: text, or nothing (rendered as the bare `success`)."""

    text: str | None = None

    @classmethod
    def empty(cls) -> Reply:
        return cls(None)

    def __bool__(self) -> bool:
        return bool(self.text)

    def then(self, more: Reply) -> Reply:
        """Join two replies into one message, as when registration finishes and signs up."""
        parts = [t for t in (self.text, more.text) if t]
        return Reply("\n\n".join(parts) or None)
