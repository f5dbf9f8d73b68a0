"""The floor for bench/webhook.py: the least work any correct webhook handler must do.

SPEC §8 asks the bot for ≥ 60% of a bare endpoint's throughput. This app does only what
the protocol and the data demand of every implementation: check WeChat's signature,
parse with defusedxml and wechatpy (bot.wechat.webhook's own `read_message`), de-duplicate in
Redis (bot.wechat.dedupe: SET NX claim, SET reply), render the reply (`render_text`, `respond`),
and, for a sign-up (`报名 N`), make it durable before replying with one transaction:
take the activity's next number and insert a row. Every other text
gets a fixed reply and no database work at all, so this is a generous lower bound on
cost. Served like the bare app and the bot, its ratio to bare is the ceiling for any
handler on this stack, and the bot's ratio can be read against it.

Unlike the bot, this app connects at import (it is a bench fixture, not the product):
one engine and one Redis client per worker, and its own table created if missing. The
bench's `reset_database` drops the whole schema (PostgreSQL) or file (SQLite) before
each run, so the table starts empty every time without a truncate here.
"""

from __future__ import annotations

from flask import Flask, Response
from redis import Redis
from sqlalchemy import Column, Integer, MetaData, Table, Text, text
from wechatpy.messages import BaseMessage

from bot.storage.db import make_engine
from bot.wechat.dedupe import Dedupe, message_key
from bot.wechat.webhook import MAX_BODY, read_message, render_text, respond
from config import Settings

settings = Settings.load()
engine = make_engine(settings.DATABASE_URL)
# The same client options as bot.runtime.services, so Redis round trips cost the same.
redis = Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=2)

metadata = MetaData()
signups = Table(
    "bench_floor_signups",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("openid", Text, nullable=False),
    Column("activity_id", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
)

_NEXT_SEQ = text("UPDATE activities SET signup_seq = signup_seq + 1 WHERE id = :id RETURNING signup_seq")
# Any fixed number: it only keeps gunicorn's workers from racing on CREATE TABLE.
_CREATE_LOCK = 0x666C6F6F72


def _create_table() -> None:
    """Create the bench table once, even when every worker imports this at the same moment."""
    with engine.begin() as conn:
        # Two concurrent CREATE TABLE IF NOT EXISTS can still collide in PostgreSQL's
        # catalogue; SQLite's transactions already start with BEGIN IMMEDIATE.
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CREATE_LOCK})
        metadata.create_all(conn, checkfirst=True)


_create_table()

app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = MAX_BODY


def _sign_up(openid: str, activity_id: int) -> int | None:
    """One transaction: the activity's next number, and the row holding it (None: no such activity)."""
    with engine.begin() as conn:
        seq = conn.execute(_NEXT_SEQ, {"id": activity_id}).scalar()
        if seq is None:
            return None
        conn.execute(signups.insert(), {"openid": openid, "activity_id": activity_id, "seq": seq})
    return seq


def _answer(message: BaseMessage) -> str:
    content = (getattr(message, "content", "") or "").strip() if message.type == "text" else ""
    if content.startswith("报名"):
        number = content[len("报名") :].strip()
        if number.isascii() and number.isdigit():
            seq = _sign_up(message.source, int(number))
            if seq is not None:
                return f"报名成功，序号 {seq}"
    return "收到"


@app.post("/wechat")
def wechat() -> Response:
    message, crypto = read_message(settings)
    return respond(Dedupe(redis).once(message_key(message), lambda: render_text(message, _answer(message))), crypto)


@app.get("/healthz")
def healthz() -> str:
    return "ok"
