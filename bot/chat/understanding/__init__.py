"""Understanding what people write: the strict command grammar (SPEC §4) and free text (SPEC §9).

`strict` reads the commands as they are; `reader` reads everything else (normalise →
slips → parse → resolve → dialog) into the same `Intent`, or a question back.
"""

from bot.chat.understanding.lexicon import Lexicon
from bot.chat.understanding.strict import Intent, fits, normalise, understand


def prepare() -> None:
    """Build the vocabulary tables now (at app start), so a `--preload` master shares them."""
    Lexicon.shared()


__all__ = ["Intent", "fits", "normalise", "prepare", "understand"]
