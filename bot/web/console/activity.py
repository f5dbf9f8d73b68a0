"""One activity: its details and roster, what an organizer does to the people on it, closing
it with hours credited, the printable 签到表, and the full-screen check-in display."""

from __future__ import annotations

import base64
from collections.abc import Callable
from functools import lru_cache

from flask import Response, flash, g, redirect, render_template, request, url_for

from bot.domain import activity_list, attendance, audit, checkin_codes, hours, roster_actions, rosters
from bot.domain.errors import UserError
from bot.domain.roles import require_organizer
from bot.domain.timefmt import fmt_hours
from bot.storage.models import Activity
from bot.web import qrimage
from bot.web.console.auth import client_ip, in_scope, page_number, record, services
from bot.web.console.blueprint import bp
from bot.wechat import qr as checkin_qr
from config import console_texts, texts

# The roster is shown a page at a time (the 签到表 and the export hold everyone).
ROSTER_PAGE = 200


def _back(activity_id: int) -> Response:
    return redirect(url_for("console.activity", activity_id=activity_id) + "#roster")


@bp.get("/activities/<int:activity_id>")
def activity(activity_id: int) -> str:
    """Details, counts and the roster: status, waitlist order, check-in state, masked phones."""
    shown = in_scope(activity_id)
    row = activity_list.one(g.db, activity_id)
    pages = max(1, -(-(row.taken + row.waiting) // ROSTER_PAGE))
    number = min(page_number(), pages - 1)
    return render_template(
        "console/activity.html",
        a=shown,
        row=row,
        entries=rosters.entries(g.db, activity_id, number * ROSTER_PAGE, ROSTER_PAGE),
        page=number,
        pages=pages,
        kinds=texts.KIND_NAMES,
    )


def _roster_action(activity_id: int, action: str, do: Callable, message: str) -> Response:
    """Run one roster change for an organizer who may act on the activity; audit it; say what happened."""
    activity = in_scope(activity_id)
    try:
        require_organizer(g.actor, "名单", activity)
        done = do(activity)
    except UserError as exc:
        g.db.rollback()
        flash(exc.message, "error")
        return _back(activity_id)
    person = done.resident
    record(action, activity=activity, summary=f"{person.name or ''} ({person.volunteer_no or person.id})")
    g.db.commit()
    flash(message.format(name=person.name or ""))
    return _back(activity_id)


def _form_id(name: str) -> int:
    value = request.form.get(name, "")
    return int(value) if value.isdigit() else 0


@bp.post("/activities/<int:activity_id>/promote")
def roster_promote(activity_id: int) -> Response:
    """Move someone up from the waitlist by hand (a free place is needed); they are told."""
    signup_id = _form_id("signup_id")
    return _roster_action(activity_id, "promote", lambda a: roster_actions.promote(g.db, a.id, signup_id), console_texts.PROMOTED)


@bp.post("/activities/<int:activity_id>/remove")
def roster_remove(activity_id: int) -> Response:
    """Take someone off the roster; they are told, and the first in line moves up."""
    signup_id = _form_id("signup_id")
    return _roster_action(activity_id, "remove", lambda a: roster_actions.remove(g.db, a.id, signup_id), console_texts.REMOVED)


@bp.post("/activities/<int:activity_id>/checkin")
def roster_checkin(activity_id: int) -> Response:
    """Check someone in by hand (the check-in window applies); they are told."""
    signup_id = _form_id("signup_id")
    return _roster_action(activity_id, "checkin", lambda a: roster_actions.check_in(g.db, a.id, signup_id), console_texts.CHECKED_IN)


@bp.post("/activities/<int:activity_id>/close")
def activity_close(activity_id: int) -> Response:
    """`结束`: close a started activity and credit everyone checked in."""
    activity = in_scope(activity_id)
    try:
        require_organizer(g.actor, "结束", activity)
        result = hours.close_activity(g.db, activity.id, closed_by=g.actor)
    except UserError as exc:
        g.db.rollback()
        flash(exc.message, "error")
        return redirect(url_for("console.activity", activity_id=activity_id))
    summary = f"{len(result.credited)} 人 {fmt_hours(result.total)} 小时"
    record("close", activity=result.activity, summary=summary, after={"credited": len(result.credited), "total": result.total})
    g.db.commit()
    flash(console_texts.CLOSED.format(count=len(result.credited), total=fmt_hours(result.total)))
    return redirect(url_for("console.activity", activity_id=activity_id))


def _checkin_code(activity: Activity) -> Activity:
    """The activity with its check-in code, made (and recorded) the first time it is needed.

    A page is read on an autocommit connection; making the code is a write of its own.
    """
    if activity.checkin_code is None:
        with services().db.transaction() as session:
            made = checkin_codes.ensure_code(session, activity.id)
            audit.record(session, g.actor, "console", "checkin_code", activity=made, ip=client_ip())
        g.db.expire(activity)
    return activity


def _qr_src(activity: Activity) -> str:
    """The check-in QR's image: WeChat's own with an app secret, else drawn here (inline, prints with the page)."""
    svc = services()
    if svc.settings.sandbox:
        return _drawn_qr(activity.id)
    return checkin_qr.link(svc, activity)


@lru_cache(maxsize=256)
def _drawn_qr(activity_id: int) -> str:
    """The drawn check-in QR as a data address (inline: it prints with the page); the same for ever, so kept."""
    return "data:image/png;base64," + base64.b64encode(qrimage.png(checkin_codes.scene(activity_id), box_size=8)).decode()


@bp.get("/activities/<int:activity_id>/sign-in-sheet")
def sign_in_sheet(activity_id: int) -> str:
    """The printable A4 签到表: a row per person with a signature column, ten blank rows, the QR."""
    activity = _checkin_code(in_scope(activity_id))
    people = [e for e in rosters.entries(g.db, activity_id) if e.status == "confirmed"]
    organizer = activity.organizer.name if activity.organizer else ""
    return render_template(
        "console/sign_in_sheet.html",
        a=activity,
        people=people,
        blanks=10,
        organizer=organizer,
        org=services().settings.ORG_NAME,
        qr=_qr_src(activity),
        window=attendance.window_text(activity),
    )


@bp.get("/activities/<int:activity_id>/display")
def checkin_display(activity_id: int) -> str:
    """Full screen for a projector: the QR, the six-digit code, and a live count."""
    activity = _checkin_code(in_scope(activity_id))
    return render_template("console/display.html", a=activity, qr=_qr_src(activity), window=attendance.window_text(activity))


@bp.get("/activities/<int:activity_id>/display/count")
def checkin_count(activity_id: int) -> str:
    """The display's live part: checked in out of places taken (htmx polls it)."""
    in_scope(activity_id)
    tally = rosters.checked_in(g.db, activity_id)
    return render_template("console/_display_count.html", checked_in=tally[0], taken=tally[1])
