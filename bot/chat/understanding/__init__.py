"""Understanding what people write: the strict command grammar (SPEC §4) and free text (SPEC §9)."""

from bot.chat.understanding.strict import Intent, normalise, understand

__all__ = ["Intent", "normalise", "understand"]
