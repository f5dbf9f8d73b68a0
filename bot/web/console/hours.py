"""Hours: the ledger by activity and by person, one activity's entries, and open disputes
resolved with a signed correction and a reason (`disputes.resolve`, as `纠错 处理` does)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import Response, abort, flash, g, redirect, render_template, request, url_for

from bot.domain import disputes, ledger_views
from bot.domain.errors import Forbidden, NotFound, UserError
from bot.domain.timefmt import fmt_hours
from bot.web.console.auth import in_scope, page_number, record
from bot.web.console.blueprint import bp
from config import console_texts

TABS = ("activities", "people", "disputes")


@bp.get("/hours")
def hours() -> str:
    """The ledger by activity (default), by person, or the open disputes."""
    tab = request.args.get("tab", "activities")
    if tab not in TABS:
        abort(404)
    q = request.args.get("q", "")
    context: dict = {"tab": tab, "q": q, "args": {"tab": tab, **({"q": q} if q else {})}}
    if tab == "activities":
        context["page"] = ledger_views.by_activity(g.db, g.scope, page_number(), q)
    elif tab == "people":
        context["page"] = ledger_views.by_person(g.db, g.scope, page_number(), q)
    else:
        shown, total = disputes.open_disputes(g.db, g.actor, limit=100)
        context["disputes"], context["dispute_total"] = shown, total
    return render_template("console/hours.html", **context)


@bp.get("/hours/activities/<int:activity_id>")
def hours_activity(activity_id: int) -> str:
    """One activity's ledger, entry by entry, with who signed each correction and why."""
    activity = in_scope(activity_id)
    return render_template(
        "console/hours_activity.html", a=activity, page=ledger_views.activity_entries(g.db, activity_id, page_number())
    )


@bp.post("/disputes/<int:dispute_id>/resolve")
def dispute_resolve(dispute_id: int) -> Response:
    """Set the hours to the corrected total with a signed correction and a reason; the person is told."""
    try:
        total = Decimal(request.form.get("hours", "").strip())
    except InvalidOperation:
        flash(console_texts.BAD_NUMBER.format(field="小时数"), "error")
        return redirect(url_for("console.hours", tab="disputes"))
    try:
        result = disputes.resolve(g.db, g.actor, dispute_id, total, request.form.get("reason", ""))
    except (NotFound, Forbidden):
        g.db.rollback()
        abort(404)  # another community's dispute is as unknown as a missing one
    except UserError as exc:
        g.db.rollback()
        flash(exc.message, "error")
        return redirect(url_for("console.hours", tab="disputes"))
    record(
        "resolve",
        activity=result.activity,
        summary=f"#{dispute_id} {result.resident.name}: {result.dispute.resolution}",
        before={"hours": result.before},
        after={"hours": result.after},
    )
    g.db.commit()
    flash(console_texts.RESOLVED.format(dispute_id=dispute_id, before=fmt_hours(result.before), after=fmt_hours(result.after)))
    return redirect(url_for("console.hours", tab="disputes"))
