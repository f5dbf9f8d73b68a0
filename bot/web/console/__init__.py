"""The organizer console (SPEC §10): server-rendered pages at `/console/`, signed in from WeChat.

`init_console(app)` sets the session cookie's rules, turns on CSRF protection for every
form and htmx request of the app (the blueprints passed as `exempt`, such as WeChat's
signature-checked webhook, are left out), trusts a reverse proxy when told to, and
registers the console's pages.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from flask import Blueprint, Flask, Response, render_template
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.domain.console_login import SESSION_ABSOLUTE
from bot.web.console import (  # noqa: F401 - each module attaches its views (or filters) to the blueprint
    activities,
    activity,
    audit_log,
    auth,
    broadcasts,
    dashboard,
    exports,
    filters,
    hours,
    people,
)
from bot.web.console.blueprint import bp

COOKIE_NAME = "cvb_console"


def init_console(app: Flask, exempt: Iterable[Blueprint] = ()) -> CSRFProtect:
    """Configure sessions and CSRF for `app` and register the console; returns the CSRF extension."""
    settings = app.extensions["bot"].settings
    app.config.update(
        SESSION_COOKIE_NAME=COOKIE_NAME,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Over plain http (development) a Secure cookie would never come back.
        SESSION_COOKIE_SECURE=settings.production,
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=SESSION_ABSOLUTE),
        # A token lives as long as the session holding it (idle 2 h, at most 12 h), not an hour.
        WTF_CSRF_TIME_LIMIT=None,
    )
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n)  # type: ignore[method-assign]
    csrf = CSRFProtect(app)
    for blueprint in exempt:
        csrf.exempt(blueprint)
    app.register_error_handler(CSRFError, _csrf_refused)
    app.register_blueprint(bp)
    return csrf


def _csrf_refused(error: CSRFError) -> tuple[Response | str, int]:
    """A POST without a valid token: 400, nothing done."""
    return render_template("console/refused.html", reason=error.description), 400
