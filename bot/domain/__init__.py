"""The rules (SPEC §5): plain functions of sessions and ids; no Flask, no WeChat, no HTTP."""
