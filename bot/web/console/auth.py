"""Signing in and out, and the check every console request passes.

The browser's signed cookie (Flask's session: HttpOnly, SameSite=Lax, Secure in
production) holds only random ids: `pending` while the login page waits for WeChat, then
`sid`, the console session kept in Redis (`bot.domain.console_login`). Every request
loads that session and the person behind it from the database, so an idle, expired or
revoked session, or a role taken away, ends it at once.
"""

from __future__ import annotations

from flask import Response, abort, current_app, g, redirect, render_template, request, session, url_for
from sqlalchemy.orm import Session

from bot.domain import audit, console_login, roles
from bot.domain.activities import get as get_activity
from bot.domain.errors import Forbidden, NotFound
from bot.storage.db import Database
from bot.storage.models import Activity, Community, Resident
from bot.web.console.blueprint import bp
from bot.wechat import qr as wechat_qr

PUBLIC = {"console.login", "console.login_status", "console.static"}


def services():  # type: ignore[no-untyped-def]
    return current_app.extensions["bot"]


def client_ip() -> str:
    """The visitor's address (the proxy's X-Forwarded-For once TRUSTED_PROXIES is set)."""
    return request.remote_addr or "-"


def _to_login() -> Response:
    if request.headers.get("HX-Request"):
        # An htmx request cannot follow a redirect to a whole page: ask it to navigate.
        return Response(status=401, headers={"HX-Redirect": url_for("console.login")})
    return redirect(url_for("console.login"))


@bp.before_request
def guard() -> Response | None:
    """Every page but the login page needs a live session of a person who is still an organizer."""
    if request.endpoint in PUBLIC:
        return None
    svc = services()
    live = console_login.load(svc.redis, session.get("sid"))
    if live is None:
        session.clear()
        return _to_login()
    g.db = _session_for(svc.db)
    actor = g.db.get(Resident, live.resident_id)
    if actor is None or not roles.is_organizer(actor) or actor.erased_at is not None:
        console_login.revoke(svc.redis, live.sid, live.resident_id)
        session.clear()
        return _to_login()
    g.actor, g.scope, g.live = actor, roles.scope_of(actor), live
    return None


def _session_for(database: Database) -> Session:
    """Pages that only read get a session whose statements each commit on their own: on SQLite
    they then take no write lock (so a page never holds up a sign-up, nor an export's own
    cursor); forms that change something get one transaction."""
    if request.method in ("GET", "HEAD"):
        g.db_conn = database.autocommit()
        return Session(bind=g.db_conn)
    return database.session()


@bp.teardown_request
def _close(_exc: BaseException | None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()
    conn = g.pop("db_conn", None)
    if conn is not None:
        conn.close()


@bp.after_request
def _private(response: Response) -> Response:
    # Rosters and ledgers: never kept by a shared cache, never framed by another site.
    if request.endpoint != "console.static":
        response.headers.setdefault("Cache-Control", "private, no-store")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


@bp.context_processor
def _names() -> dict:
    """What every page's header shows: the community an organizer is limited to."""
    scope = g.get("scope")
    community = g.db.get(Community, scope) if scope is not None else None
    return {"scope_name": community.name if community else ""}


# ── helpers the page modules share ──────────────────────────────────────────
def in_scope(activity_id: int) -> Activity:
    """The activity, if this organizer may see it; 404 otherwise (another community's page does not exist for them)."""
    try:
        activity = get_activity(g.db, activity_id)
        roles.require_organizer(g.actor, "工作台", activity)
    except (NotFound, Forbidden):
        abort(404)
    return activity


def record(action: str, **fields: object) -> None:
    """An audit entry for a change made through the console, in the request's transaction."""
    audit.record(g.db, g.actor, "console", action, ip=client_ip(), **fields)  # type: ignore[arg-type]


def page_number() -> int:
    """The 0-based page asked for with `?page=N` (1-based in the address)."""
    try:
        return max(0, int(request.args.get("page", "1")) - 1)
    except ValueError:
        return 0


# ── the login page ──────────────────────────────────────────────────────────
@bp.get("/login")
def login() -> Response | str:
    """The code to send from WeChat (and the QR, with an app secret); the page waits for the approval."""
    svc = services()
    if console_login.load(svc.redis, session.get("sid")) is not None:
        return redirect(url_for("console.dashboard"))
    old = session.pop("pending", None)
    if old:
        console_login.forget(svc.redis, old)
    try:
        challenge = console_login.start(
            svc.redis, browser=console_login.browser_label(request.headers.get("User-Agent")), ip=client_ip()
        )
    except console_login.LoginRefused as exc:
        return Response(render_template("console/login.html", refused=exc.message), status=429)
    session["pending"] = challenge.pending_id
    qr = None
    if not svc.settings.sandbox:
        try:
            qr, _ = wechat_qr.parametric(svc, challenge.scene, max(60, challenge.expires_in))
        except Exception:  # WeChat unreachable: the code still works
            current_app.logger.warning("login QR could not be made", exc_info=True)
    return render_template("console/login.html", challenge=challenge, qr=qr, refused=None)


@bp.get("/login/status")
def login_status() -> Response:
    """Polled by the login page: 204 while waiting; once approved, the session starts and the page moves on."""
    svc = services()
    pending = session.get("pending")
    result = console_login.poll(svc.redis, pending) if pending else "expired"
    if result == "waiting":
        return Response(status=204)
    if result == "expired":
        # 286: htmx stops polling.
        return Response(render_template("console/_login_expired.html"), status=286, mimetype="text/html")
    # A fresh cookie for the signed-in browser: nothing from before the login carries over.
    session.clear()
    session.permanent = True
    session["sid"] = result.sid
    target = url_for("console.dashboard")
    return Response(status=200, headers={"HX-Redirect": target})


@bp.post("/logout")
def logout() -> Response:
    """End this browser's session."""
    record("logout", summary=g.live.browser)
    g.db.commit()
    console_login.revoke(services().redis, g.live.sid, g.live.resident_id)
    session.clear()
    return redirect(url_for("console.login"))
