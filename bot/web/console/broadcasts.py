"""Broadcasts: pick an audience (its size counted live), write, preview, confirm; then each
broadcast's progress and every recipient's status. Confirming goes through
`broadcasts.confirm` and `start_fan_out`, exactly as `群发` … `确认` does in chat."""

from __future__ import annotations

from flask import Response, abort, flash, g, redirect, render_template, request, url_for

from bot.domain import broadcast_views, broadcasts
from bot.domain.errors import NotFound, UserError
from bot.web.console.auth import page_number, record, services
from bot.web.console.blueprint import bp
from config import console_texts, texts


def _audience(code: str) -> broadcasts.Audience:
    """The audience picked, if this organizer may write to it; 404 otherwise."""
    for audience in broadcast_views.audiences(g.db, g.actor):
        if audience.code == code:
            return audience
    abort(404)


@bp.get("/broadcasts", endpoint="broadcasts")
def broadcasts_page() -> str:
    """The form, and the broadcasts so far with their progress."""
    shown, more = broadcast_views.listing(g.db, g.scope, page_number())
    audiences = broadcast_views.audiences(g.db, g.actor)
    return render_template(
        "console/broadcasts.html",
        audiences=audiences,
        first_size=broadcasts.audience_size(g.db, audiences[0]),
        rows=shown,
        more=more,
        page=page_number(),
        limit=broadcasts.MAX_TEXT,
    )


@bp.get("/broadcasts/audience-size")
def broadcast_audience_size() -> str:
    """How many people the chosen audience reaches (the picker asks as it changes)."""
    audience = _audience(request.args.get("audience", ""))
    return render_template("console/_audience_size.html", size=broadcasts.audience_size(g.db, audience))


@bp.post("/broadcasts/preview")
def broadcast_preview() -> Response | tuple[str, int]:
    """What will be sent, to whom and how many, before anything is: confirm or go back."""
    audience = _audience(request.form.get("audience", ""))
    text = request.form.get("text", "").strip()
    if not text or len(text) > broadcasts.MAX_TEXT:
        flash(
            texts.BROADCAST_NEED_TEXT if not text else texts.MESSAGE_TOO_LONG.format(limit=broadcasts.MAX_TEXT, length=len(text)),
            "error",
        )
        return redirect(url_for("console.broadcasts"))
    shown = texts.BROADCAST_NOTICE.format(org=services().settings.ORG_NAME, text=text)
    size = broadcasts.audience_size(g.db, audience)
    return render_template("console/broadcast_preview.html", audience=audience, text=text, shown=shown, size=size), 200


@bp.post("/broadcasts/confirm")
def broadcast_confirm() -> Response:
    """Record the broadcast and start its fan-out (the worker sends, throttled)."""
    audience = _audience(request.form.get("audience", ""))
    try:
        broadcast = broadcasts.confirm(g.db, g.actor, audience.code, request.form.get("text", ""))
    except UserError as exc:
        g.db.rollback()
        flash(exc.message, "error")
        return redirect(url_for("console.broadcasts"))
    record(
        "broadcast",
        object_type="broadcast",
        object_id=broadcast.id,
        community_id=audience.community_id,
        summary=f"{audience.label} {broadcast.total} 人：{broadcast.text[:60]}",
    )
    g.db.commit()
    svc = services()
    broadcasts.start_fan_out(svc.redis, broadcast.id, svc.settings.notice_claim_timeout)
    flash(console_texts.BROADCAST_STARTED.format(id=broadcast.id, size=broadcast.total))
    return redirect(url_for("console.broadcast", broadcast_id=broadcast.id))


@bp.get("/broadcasts/<int:broadcast_id>")
def broadcast(broadcast_id: int) -> str:
    """One broadcast's progress and each recipient's status (htmx refreshes it while sending)."""
    try:
        progress = broadcast_views.one(g.db, g.scope, broadcast_id)
    except NotFound:
        abort(404)
    status = request.args.get("status", "")
    people, more = broadcast_views.recipients(g.db, broadcast_id, page_number(), status)
    template = "console/_broadcast_progress.html" if request.headers.get("HX-Request") else "console/broadcast.html"
    return render_template(template, p=progress, people=people, more=more, page=page_number(), status=status)
