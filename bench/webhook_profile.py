"""Where a message's time goes: each message type of SPEC §8's mix through the bot, step by step.

In this process, one message at a time (no concurrency, no gunicorn), from people who
wrote within the minute (as under steady load: their contact is already noted): the
time of each step the webhook takes, per message, averaged over `count` of each type —
signature and parse, the first Redis round trip (claim + state), noting contact, the
handler (router, domain, SQL; the SQL part also shown alone), rendering the reply, the
second Redis round trip (reply + writes), and the rest (Flask, Werkzeug, the test client).
Used by `bench.webhook --profile`.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from dataclasses import replace

from redis.client import Pipeline
from sqlalchemy import event

from bench.common import APP_ID, TOKEN
from bot.app import create_app
from bot.wechat import webhook
from bot.wechat.peer import WeChatPeer

STEPS = ("signature + parse", "redis: claim + state", "contact", "handler", "  of which SQL", "render", "redis: reply + writes", "rest")


def profile(env: dict, openids: list[str], ids: list[int], count: int) -> dict:
    """{message type: {step: µs per message}} for 活动, 活动 N, 我的报名, 报名 N."""
    app = create_app(env)
    services, chat = app.extensions["bot"], app.extensions["bot.chat"]
    spent: dict[str, float] = defaultdict(float)

    def timed(step, fn):  # type: ignore[no-untyped-def]
        def run(*args, **kwargs):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[step] += time.perf_counter() - started

        return run

    originals = (webhook.read_message, webhook.render_text, Pipeline.execute, services.redis.eval)
    webhook.read_message = timed("signature + parse", webhook.read_message)
    webhook.render_text = timed("render", webhook.render_text)
    Pipeline.execute = timed("redis: reply + writes", Pipeline.execute)
    services.redis.eval = timed("redis: claim + state", services.redis.eval)
    app.extensions["bot.chat"] = replace(chat, on_contact=timed("contact", chat.on_contact), router=chat.router)
    chat.router.dispatch = timed("handler", chat.router.dispatch)  # type: ignore[method-assign]
    sql_started: list[float] = []

    def sql_done(*_args) -> None:  # type: ignore[no-untyped-def]
        spent["  of which SQL"] += time.perf_counter() - sql_started.pop()

    event.listen(services.db.engine, "before_cursor_execute", lambda *a: sql_started.append(time.perf_counter()))
    event.listen(services.db.engine, "after_cursor_execute", sql_done)
    peer, client, rng = WeChatPeer(TOKEN, APP_ID), app.test_client(), random.Random(7)
    msg_ids = iter(range(9 * 10**15, 10**16))
    # As under steady load: each of these people wrote within the minute (their contact is
    # noted), so, as for most messages, contact costs nothing here.
    people = openids[: max(1, min(len(openids), count // 4))]
    for openid in people:
        request = peer.signed(peer.text_xml(openid, "帮助", msg_id=next(msg_ids)), mode="plain")
        client.post("/wechat", query_string=request.query, data=request.body)
    results: dict[str, dict[str, float]] = {}
    try:
        for kind in ("活动", "活动 N", "我的报名", "报名 N"):
            requests = []
            for _ in range(count + 20):
                content = kind.replace("N", str(rng.choice(ids)))
                requests.append(peer.signed(peer.text_xml(rng.choice(people), content, msg_id=next(msg_ids)), mode="plain"))
            for request in requests[:20]:  # warm: the catalogue read, connections opened
                client.post("/wechat", query_string=request.query, data=request.body)
            spent.clear()
            started = time.perf_counter()
            for request in requests[20:]:
                client.post("/wechat", query_string=request.query, data=request.body)
            total = time.perf_counter() - started
            steps = {step: spent.get(step, 0.0) for step in STEPS if step != "rest"}
            steps["rest"] = total - sum(v for k, v in steps.items() if not k.startswith(" "))
            results[kind] = {step: round(seconds / count * 1e6) for step, seconds in steps.items()} | {"total": round(total / count * 1e6)}
    finally:
        webhook.read_message, webhook.render_text, Pipeline.execute, services.redis.eval = originals
        services.close()
    return results


def print_profile(results: dict) -> None:
    kinds = list(results)
    print("  where a message's time goes (µs per message, one at a time, in-process):")
    print(f"    {'':24}" + "".join(f"{kind:>10}" for kind in kinds))
    for step in (*STEPS, "total"):
        print(f"    {step:24}" + "".join(f"{results[kind][step]:>10}" for kind in kinds))
