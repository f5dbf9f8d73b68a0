"""The one place Redis keys are built, all under one prefix (as RQ does with `rq:`)."""

PREFIX = "cvb"


def key(*parts: object) -> str:
    """`key("dedupe", "123")` → `cvb:dedupe:123`."""
    return ":".join([PREFIX, *(str(p) for p in parts)])
