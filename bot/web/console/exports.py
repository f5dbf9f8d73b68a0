"""Exports: the hours 台账 (XLSX and CSV, the CLI's columns), the 双报到 quarter summary, and
rosters. Each is streamed: the CSV straight from the database's cursor (PostgreSQL renders
it with COPY), the XLSX through openpyxl's write-only mode into a temporary file sent in
chunks. A scoped organizer gets their community's rows only, and another community's
roster does not exist for them (404).

The hours XLSX of a big year takes minutes before its first byte, so the page builds it in
the background (`export_builds`, a worker's job): a status page shows the rows written so
far and then the download. `GET /exports/hours.xlsx` still builds it in the request, for
scripts and small ledgers."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from urllib.parse import quote

from flask import Response, abort, g, redirect, render_template, request, url_for

from bot.domain import export_builds, rosters
from bot.domain import exports as ledger_exports
from bot.domain.timefmt import to_local
from bot.storage.models import utc_now
from bot.web.console.auth import in_scope, services
from bot.web.console.blueprint import bp
from config import console_texts, texts

CHUNK = 64 * 1024
MIMETYPES = {"csv": "text/csv; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _download(body: Iterable[bytes], name: str, fmt: str) -> Response:
    response = Response(body, mimetype=MIMETYPES[fmt])
    filename = f"{name}.{fmt}"
    # RFC 6266: an ASCII fallback, and the Chinese name for browsers that read filename*.
    response.headers["Content-Disposition"] = f"attachment; filename=export.{fmt}; filename*=UTF-8''{quote(filename)}"
    return response


def _xlsx(write: Callable) -> Iterator[bytes]:
    """Run `write(file)` into a temporary file, then send it in chunks (memory stays flat)."""
    with tempfile.TemporaryFile() as spool:
        write(spool)
        spool.seek(0)
        while chunk := spool.read(CHUNK):
            yield chunk


def _year() -> int | None:
    text = request.args.get("year", "")
    return int(text) if text.isdigit() else None


@bp.get("/exports")
def exports() -> str:
    """What can be downloaded, with the year and quarter to choose."""
    today = to_local(utc_now()).date()
    quarter = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    return render_template("console/exports.html", year=today.year, quarter=quarter, years=range(today.year, today.year - 5, -1))


@bp.get("/exports/hours.<fmt>")
def export_hours(fmt: str) -> Response:
    """The hours 台账: one row per ledger entry with the Art. 7 columns (`export hours` of the CLI)."""
    if fmt not in MIMETYPES:
        abort(404)
    svc = services()
    year = _year()
    export = ledger_exports.HoursExport(svc.db, year, svc.settings.ORG_NAME, community_id=g.scope)
    name = _hours_name(year)
    if fmt == "csv":
        return _download(ledger_exports.csv_stream(texts.EXPORT_HOURS_HEADER, export.csv_chunks()), name, fmt)
    rows = ledger_exports.xlsx_hours_rows(export.rows())
    return _download(
        _xlsx(lambda out: ledger_exports.write_xlsx(out, texts.EXPORT_HOURS_HEADER, rows, ledger_exports.HOURS_WIDTHS, "hours")),
        name,
        fmt,
    )


def _hours_name(year: int | None) -> str:
    return console_texts.EXPORT_HOURS_FILE + (f"-{year}" if year else "")


@bp.post("/exports/hours.xlsx/builds")
def export_hours_build() -> Response:
    """Start building the hours XLSX in the background (or join the same build running) and show its progress."""
    year_text = request.form.get("year", "")
    year = int(year_text) if year_text.isdigit() else None
    build_id = export_builds.start(services().redis, g.actor.id, year, g.scope)
    target = url_for("console.export_build", build_id=build_id)
    if request.headers.get("HX-Request"):
        # The exports page asks through htmx (its CSRF token rides in a header): navigate there.
        return Response(status=204, headers={"HX-Redirect": target})
    return redirect(target, 303)


def _own_build(build_id: str) -> export_builds.Build:
    """The build, if this person asked for it; 404 for anyone else, as if it did not exist."""
    build = export_builds.load(services().redis, build_id)
    if build is None or not build.belongs_to(g.actor.id, g.scope):
        abort(404)
    return build


@bp.get("/exports/builds/<build_id>")
def export_build(build_id: str) -> str:
    """How far the build is (the page polls it every 2 s), then the download; or that it failed."""
    build = _own_build(build_id)
    fragment = bool(request.headers.get("HX-Request"))
    template = "console/_export_build.html" if fragment else "console/export_build.html"
    return render_template(template, build=build, name=_hours_name(build.year), texts=console_texts)


@bp.get("/exports/builds/<build_id>/file")
def export_build_file(build_id: str) -> Response:
    """The finished workbook, streamed from Redis under the same file name as the direct download."""
    build = _own_build(build_id)
    if build.status != export_builds.DONE:
        abort(404)
    response = _download(export_builds.file_chunks(services().redis, build), _hours_name(build.year), "xlsx")
    response.headers["Content-Length"] = str(build.size)
    return response


@bp.get("/exports/employers.<fmt>")
def export_employers(fmt: str) -> Response:
    """The 双报到 summary for a quarter (`?quarter=2026Q4`): per employer, members, who served, services, hours."""
    if fmt not in MIMETYPES:
        abort(404)
    try:
        year, quarter = ledger_exports.parse_quarter(request.args.get("quarter", ""))
    except ValueError:
        abort(400)
    totals = ledger_exports.employer_totals(services().db, year, quarter, community_id=g.scope)
    rows = ledger_exports.employer_rows(totals)
    header = texts.EXPORT_EMPLOYERS_HEADER
    name = f"{console_texts.EXPORT_EMPLOYERS_FILE}-{year}Q{quarter}"
    if fmt == "csv":
        return _download(_xlsx(lambda out: ledger_exports.write_csv(out, header, rows)), name, fmt)
    widths = ledger_exports.EMPLOYER_WIDTHS
    return _download(_xlsx(lambda out: ledger_exports.write_xlsx(out, header, rows, widths, "employers")), name, fmt)


@bp.get("/activities/<int:activity_id>/roster.<fmt>")
def export_roster(activity_id: int, fmt: str) -> Response:
    """One activity's roster (phones masked), for printing or a spreadsheet."""
    if fmt not in MIMETYPES:
        abort(404)
    activity = in_scope(activity_id)
    rows = [
        (
            e.number,
            e.name,
            e.phone,
            e.volunteer_no,
            console_texts.ROSTER_STATUS.get(e.status, e.status) + ("" if e.status == "confirmed" else f" {e.number}"),
            f"{to_local(e.checked_in_at):%H:%M}" if e.checked_in_at else "",
            f"{to_local(e.checked_out_at):%H:%M}" if e.checked_out_at else "",
        )
        for e in rosters.entries(g.db, activity_id)
    ]
    header = console_texts.ROSTER_EXPORT_HEADER
    name = f"{console_texts.EXPORT_ROSTER_FILE}-{activity.id}-{date.today():%Y%m%d}"
    if fmt == "csv":
        return _download(_xlsx(lambda out: ledger_exports.write_csv(out, header, rows)), name, fmt)
    widths = (6, 16, 14, 12, 10, 8, 8)
    return _download(_xlsx(lambda out: ledger_exports.write_xlsx(out, header, rows, widths, "roster")), name, fmt)
