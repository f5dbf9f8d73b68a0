"""The app factory: settings, services, the webhook and pages, the CLI and the feature list."""

from __future__ import annotations

from flask import Flask, Response, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from bot.chat import understanding
from bot.chat.context import Context
from bot.chat.router import Router
from bot.cli import register_cli
from bot.domain import residents
from bot.runtime.services import Services
from bot.storage.models import utc_now
from bot.web import records, sandbox
from bot.web.console import init_console
from bot.wechat import webhook
from config import Settings
from handlers import (
    activities,
    attendance,
    binding,
    broadcast,
    checkin,
    common,
    console_login,
    family,
    hours,
    organizer_cancel,
    privacy,
    publish,
    registration,
    roster,
    signup,
)

# Every chat feature, in the order routes are tried (first match wins).
FEATURES = (
    common,
    registration,
    family,
    activities,
    signup,
    attendance,
    binding,
    publish,
    roster,
    broadcast,
    organizer_cancel,
    privacy,
    checkin,
    hours,
    console_login,
)


def build_router() -> Router:
    """A router of its own for one app: the features above, then what nothing else understood."""
    router = Router("bot")
    for feature in FEATURES:
        router.include(feature.router)
    # Last: text nothing above understood, and other message types.
    router.include(common.fallback_router)
    return router


def note_contact(ctx: Context) -> None:
    """Note that the person wrote, clicked, scanned or followed (WeChat's customer-service window).

    Messages are noted at most once a minute (Redis decides which, in the webhook's first
    round trip); events always, as their window is a single minute. The note rides in the
    webhook's last round trip; the periodic sweep writes it to the database, and the
    sender reads it meanwhile (`residents.pending_contact`).
    """
    event = ctx.message.type == "event"
    if event or ctx.contact_due:  # the gate was passed in the webhook's first round trip
        openid, now = ctx.openid, utc_now()
        ctx.later.add(lambda pipe: residents.queue_contact(pipe, openid, event=event, now=now))


def create_app(overrides: dict | None = None) -> Flask:
    """Build the web app. `overrides` take precedence over the environment (tests use it).

    Nothing here touches process-wide state: logging is configured by whoever starts the
    process (`bot.runtime.logs.configure`), and each app owns its services and router.
    """
    settings = Settings.load(overrides)
    app = Flask(__name__)
    app.config["SECRET_KEY"] = settings.SECRET_KEY
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    app.config["LOG_LEVEL"] = settings.LOG_LEVEL

    services = Services.from_settings(settings)
    app.extensions["bot"] = services

    webhook.init_app(app, build_router(), on_contact=note_contact)
    understanding.prepare()  # the vocabulary tables, once per process (shared after a fork)
    app.register_blueprint(sandbox.bp)
    app.register_blueprint(records.bp)
    # CSRF on every form of the app but WeChat's webhook, which is signature-checked.
    init_console(app, exempt=[webhook.bp])
    register_cli(app)

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz() -> tuple[Response, int]:
        checks = {}
        try:
            with services.db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # report, don't raise: this is a probe
            checks["database"] = f"error: {type(exc).__name__}"
        try:
            services.redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
        ok = all(v == "ok" for v in checks.values())
        return jsonify(status="ok" if ok else "unavailable", **checks), 200 if ok else 503

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)

    return app
