"""Exports: the hours 台账 (XLSX and CSV, the CLI's columns), the 双报到 quarter summary, and
rosters. Each is streamed: the CSV straight from the database's cursor (PostgreSQL renders
it with COPY), the XLSX through openpyxl's write-only mode into a temporary file sent in
chunks. A scoped organizer gets their community's rows only, and another community's
roster does not exist for them (404)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from urllib.parse import quote

from flask import Response, abort, g, render_template, request

from bot.domain import exports as ledger_exports
from bot.domain import rosters
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
    name = console_texts.EXPORT_HOURS_FILE + (f"-{year}" if year else "")
    if fmt == "csv":
        return _download(ledger_exports.csv_stream(texts.EXPORT_HOURS_HEADER, export.csv_chunks()), name, fmt)
    rows = ((*row[:10], float(row[10]), *row[11:]) for row in export.rows())  # hours as numbers Excel can sum
    return _download(
        _xlsx(lambda out: ledger_exports.write_xlsx(out, texts.EXPORT_HOURS_HEADER, rows, ledger_exports.HOURS_WIDTHS, "hours")),
        name,
        fmt,
    )


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
