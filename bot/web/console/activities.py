"""Activities: the filtered list, the form to publish or edit one, duplicating to new dates,
cancelling with a reason. Each change goes through the domain functions the chat uses
(`发布`, `停办`, `events change`), so the same people get the same notices."""

from __future__ import annotations

from flask import Response, flash, g, redirect, render_template, request, url_for

from bot.domain import activity_changes, activity_edits, activity_list, communities, publishing
from bot.domain.audit import activity_snapshot
from bot.domain.errors import UserError
from bot.domain.roles import require_organizer
from bot.storage.models import ACTIVITY_KINDS, ACTIVITY_STATUSES
from bot.web.console import forms
from bot.web.console.auth import in_scope, page_number, record
from bot.web.console.blueprint import bp
from config import console_texts, texts


def _filters() -> activity_list.Filters:
    args = request.args
    return activity_list.Filters(
        date_from=forms.optional_date(args.get("from")),
        date_to=forms.optional_date(args.get("to")),
        kind=args.get("kind") if args.get("kind") in ACTIVITY_KINDS else None,
        community_id=forms.optional_int(args.get("community")),
        status=args.get("status") if args.get("status") in ACTIVITY_STATUSES else None,
        q=args.get("q", "").strip() or None,
    )


@bp.get("/activities")
def activities() -> str:
    """The list, filtered by date, kind, community and status, a page at a time."""
    filters = _filters()
    page = activity_list.page(g.db, g.scope, filters, page_number())
    shown_args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "console/activities.html",
        page=page,
        args=shown_args,
        kinds=texts.KIND_NAMES,
        statuses=ACTIVITY_STATUSES,
        communities=communities.in_order(g.db) if g.scope is None else [],
        subdistrict=activity_list.SUBDISTRICT,
    )


def _form_page(form: dict, *, activity=None, error: str | None = None, status: int = 200) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    return (
        render_template(
            "console/activity_form.html",
            form=form,
            activity=activity,
            error=error,
            kinds=texts.KIND_NAMES,
            communities=communities.in_order(g.db) if g.scope is None else [],
        ),
        status,
    )


@bp.get("/activities/new")
def activity_new() -> tuple[str, int]:
    """An empty form."""
    return _form_page({"capacity": "20", "hours": "2", "kind": "cleanup"})


@bp.post("/activities/new")
def activity_create() -> Response | tuple[str, int]:
    """Publish the activity (the chat's `发布` rules); its reminders are scheduled once it commits."""
    try:
        form = forms.activity_form(request.form, publishing.fixed_community(g.actor))
        activity = activity_edits.create(g.db, g.actor, form)
    except UserError as exc:
        g.db.rollback()
        return _form_page(request.form.to_dict(), error=exc.message, status=400)
    record("publish", activity=activity, summary=activity.title, after=activity_snapshot(activity))
    g.db.commit()  # its reminder moments go on RQ's scheduler once this commits (bot.domain.reminders)
    flash(console_texts.PUBLISHED.format(id=activity.id, title=activity.title))
    return redirect(url_for("console.activity", activity_id=activity.id))


def _as_form(activity) -> dict:  # type: ignore[no-untyped-def]
    return {
        "kind": activity.kind,
        "title": activity.title,
        "start_at": forms.input_value(activity.start_at),
        "end_at": forms.input_value(activity.end_at),
        "deadline_at": forms.input_value(activity.deadline_at),
        "place": activity.place,
        "capacity": str(activity.capacity),
        "hours": str(activity.hours),
        "community_id": str(activity.community_id or ""),
        "content": activity.content or "",
    }


@bp.get("/activities/<int:activity_id>/edit")
def activity_edit(activity_id: int) -> tuple[str, int]:
    """The form, filled in."""
    activity = in_scope(activity_id)
    return _form_page(_as_form(activity), activity=activity)


@bp.post("/activities/<int:activity_id>/edit")
def activity_update(activity_id: int) -> Response | tuple[str, int]:
    """Save the form; a new time or place is announced to everyone signed up or waiting."""
    activity = in_scope(activity_id)
    try:
        form = forms.activity_form(request.form, publishing.fixed_community(g.actor))
        result = activity_edits.edit(g.db, g.actor, activity.id, form)
    except UserError as exc:
        g.db.rollback()
        return _form_page(request.form.to_dict(), activity=in_scope(activity_id), error=exc.message, status=400)
    if not result.changed:
        flash(console_texts.UNCHANGED)
        return redirect(url_for("console.activity", activity_id=activity_id))
    record("edit", activity=result.activity, summary=result.activity.title, before=result.before, after=result.after)
    g.db.commit()  # a new time's reminder moments go on the scheduler once this commits
    flash(console_texts.CHANGED.format(count=result.notified))
    return redirect(url_for("console.activity", activity_id=activity_id))


@bp.post("/activities/<int:activity_id>/duplicate")
def activity_duplicate(activity_id: int) -> Response:
    """Copies on new dates, at the same time of day."""
    activity = in_scope(activity_id)
    try:
        made = activity_edits.duplicate(g.db, g.actor, activity.id, activity_edits.parse_dates(request.form.get("dates", "")))
    except UserError as exc:
        g.db.rollback()
        flash(exc.message, "error")
        return redirect(url_for("console.activity", activity_id=activity_id))
    ids = [a.id for a in made]
    record("duplicate", activity=activity, summary=f"{activity.title} → {ids}", after={"new_ids": ids})
    g.db.commit()
    flash(console_texts.DUPLICATED.format(count=len(ids), ids="、".join(str(i) for i in ids)))
    return redirect(url_for("console.activities"))


@bp.post("/activities/<int:activity_id>/cancel")
def activity_cancel(activity_id: int) -> Response:
    """`停办` with a reason: everyone holding or awaiting a place is told."""
    activity = in_scope(activity_id)
    reason = request.form.get("reason", "")
    try:
        require_organizer(g.actor, "停办", activity)
        result = activity_changes.cancel(g.db, activity.id, reason)
    except UserError as exc:
        g.db.rollback()
        flash(exc.message, "error")
        return redirect(url_for("console.activity", activity_id=activity_id))
    record("cancel", activity=result.activity, summary=reason, before={"status": "published"}, after={"status": "cancelled"})
    g.db.commit()
    flash(console_texts.CANCELLED.format(count=result.notified))
    return redirect(url_for("console.activity", activity_id=activity_id))
