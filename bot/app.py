"""The app factory: settings, database, Redis, the webhook blueprint and the feature list."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from bot.chat.router import Router
from bot.domain.privacy import install_log_filter
from bot.runtime.services import Services, set_current
from config import Settings


def build_router() -> Router:
    """Every chat feature, in the order routes are tried (first match wins)."""
    from handlers import (
        activities,
        attendance,
        binding,
        broadcast,
        checkin,
        common,
        hours,
        organizer_cancel,
        privacy,
        publish,
        registration,
        roster,
        signup,
    )

    router = Router("bot")
    features = (
        common,
        registration,
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
    )
    for feature in features:
        router.include(feature.router)
    # Last: text nothing above understood, and other message types.
    router.include(common.fallback_router)
    return router


def create_app(overrides: dict | None = None) -> Flask:
    """Build the web app. `overrides` take precedence over the environment (tests use it)."""
    settings = Settings.load(overrides)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Set apart from basicConfig, which does nothing once the root logger has a handler.
    logging.getLogger().setLevel(settings.LOG_LEVEL.upper())
    install_log_filter()  # no phone number reaches a log

    app = Flask(__name__)
    app.config["SECRET_KEY"] = settings.SECRET_KEY
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024

    services = Services.from_settings(settings)
    services.router = build_router()
    app.extensions["bot"] = services
    set_current(services)

    from bot.wechat.webhook import bp as webhook_bp

    app.register_blueprint(webhook_bp)

    from bot.web.sandbox import bp as sandbox_bp

    app.register_blueprint(sandbox_bp)

    from bot.web.records import bp as records_bp

    app.register_blueprint(records_bp)

    from bot.cli import register_cli

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
