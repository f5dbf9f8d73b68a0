"""The audit log (admins only): every change made through the console or by an organizer in
chat, newest first — who, what, when, and before/after where it matters."""

from __future__ import annotations

from flask import abort, g, render_template, request

from bot.domain import audit
from bot.web.console.auth import page_number
from bot.web.console.blueprint import bp
from config import console_texts


@bp.get("/audit")
def audit_log() -> str:
    """One page of the log, optionally one kind of action."""
    if g.actor.role != "admin":
        abort(404)  # organizers do not learn the page exists
    action = request.args.get("action", "")
    if action not in console_texts.AUDIT_ACTIONS:
        action = ""
    shown = audit.page(g.db, page_number(), action=action or None)
    return render_template(
        "console/audit.html",
        shown=shown,
        action=action,
        actions=console_texts.AUDIT_ACTIONS,
        args={"action": action} if action else {},
    )
