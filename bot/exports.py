"""Exports of the ledger: every entry (CSV or XLSX) and the per-employer 双报到 summary.

Rows are streamed: the database hands them over in batches through a server-side
cursor (PostgreSQL; SQLite reads lazily anyway), and the writers write as they go,
so memory stays flat however long the ledger is. XLSX uses openpyxl's write-only
mode, which keeps no rows in memory either.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import IO

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased

from bot.db import Database
from bot.hours import year_bounds
from bot.models import Activity, Community, HourEntry, Resident
from bot.timefmt import SHANGHAI, to_local, to_utc_naive
from config import texts

BATCH = 5000
# Column widths (characters) for the XLSX sheet, in header order.
HOURS_WIDTHS = (12, 10, 14, 6, 22, 9, 22, 12, 22, 36, 7, 16, 10)
EMPLOYER_WIDTHS = (28, 12, 14, 10, 12)


@lru_cache(maxsize=8192)
def _local_date(start_at: datetime) -> str:
    # Activities repeat across many rows; caching keeps the time-zone work per activity.
    return f"{to_local(start_at):%Y-%m-%d}"


def hours_rows(db: Database, year: int | None = None, org_name: str = "") -> Iterator[tuple]:
    """One tuple per ledger entry, in ledger order, with the columns of `EXPORT_HOURS_HEADER`."""
    home = aliased(Community)
    scope = aliased(Community)
    organizer = aliased(Resident)
    query = (
        select(
            Resident.volunteer_no,
            Resident.name,
            home.name,
            Resident.is_party_member,
            Resident.employer,
            Activity.id,
            Activity.title,
            Activity.start_at,
            Activity.place,
            Activity.content,
            HourEntry.hours,
            scope.name,
            organizer.name,
        )
        .select_from(HourEntry)
        .join(Resident, Resident.id == HourEntry.resident_id)
        .join(Activity, Activity.id == HourEntry.activity_id)
        .outerjoin(home, home.id == Resident.community_id)
        .outerjoin(scope, scope.id == Activity.community_id)
        .outerjoin(organizer, organizer.id == Activity.organizer_id)
        .order_by(HourEntry.id)
    )
    if year is not None:
        begin, end = year_bounds(year)
        query = query.where(Activity.start_at >= begin, Activity.start_at < end)
    yes, no = texts.EXPORT_YES, texts.EXPORT_NO
    with db.engine.connect() as conn:
        result = conn.execution_options(yield_per=BATCH).execute(query)
        for batch in result.partitions():
            for no_, name, home_name, party, employer, activity_id, title, start_at, place, content, hours, scope_name, person in batch:
                yield (
                    no_ or "",
                    name or "",
                    home_name or "",
                    yes if party else no,
                    employer or "",
                    activity_id,
                    title,
                    _local_date(start_at),
                    place,
                    content or "",
                    f"{hours:.1f}",
                    scope_name or org_name,
                    person or "",
                )


# ── the 双报到 summary ──────────────────────────────────────────────────────
def parse_quarter(text: str) -> tuple[int, int]:
    """`2026Q4` → (2026, 4). Raises ValueError."""
    text = text.strip().upper()
    if len(text) != 6 or text[4] != "Q" or not text[:4].isdigit() or text[5] not in "1234":
        raise ValueError(f"{text!r} is not a quarter like 2026Q4")
    return int(text[:4]), int(text[5])


def quarter_bounds(year: int, quarter: int) -> tuple[datetime, datetime]:
    """The quarter in Asia/Shanghai, as naive UTC bounds [start, end)."""
    first_month = 3 * (quarter - 1) + 1
    begin = datetime(year, first_month, 1, tzinfo=SHANGHAI)
    end = datetime(year + (quarter == 4), 1 if quarter == 4 else first_month + 3, 1, tzinfo=SHANGHAI)
    return to_utc_naive(begin), to_utc_naive(end)


@dataclass(frozen=True)
class EmployerTotal:
    employer: str
    members: int  # in-service party members registered with this employer
    serving: int  # of them, how many served this quarter
    services: int  # credits (person × activity) this quarter
    hours: Decimal


def employer_totals(db: Database, year: int, quarter: int) -> list[EmployerTotal]:
    """Per employer: its in-service party members and their service in the quarter; most hours first."""
    begin, end = quarter_bounds(year, quarter)
    party = and_(Resident.is_party_member.is_(True), Resident.employer.is_not(None), Resident.erased_at.is_(None))
    with db.engine.connect() as conn:
        members = dict(
            conn.execute(select(Resident.employer, func.count()).where(party).group_by(Resident.employer)).all()
        )
        served = conn.execute(
            select(
                Resident.employer,
                func.count(func.distinct(HourEntry.resident_id)),
                func.sum(case((HourEntry.kind == "credit", 1), else_=0)),
                func.coalesce(func.sum(HourEntry.hours), 0),
            )
            .join(Resident, Resident.id == HourEntry.resident_id)
            .join(Activity, Activity.id == HourEntry.activity_id)
            .where(party, Activity.start_at >= begin, Activity.start_at < end)
            .group_by(Resident.employer)
        ).all()
    by_employer = {employer: (serving, services, Decimal(hours)) for employer, serving, services, hours in served}
    totals = [
        EmployerTotal(employer, count, *by_employer.get(employer, (0, 0, Decimal(0))))
        for employer, count in members.items()
    ]
    totals.sort(key=lambda t: (-t.hours, t.employer))
    return totals


def employer_rows(totals: Iterable[EmployerTotal]) -> Iterator[tuple]:
    for t in totals:
        yield (t.employer, t.members, t.serving, int(t.services), f"{t.hours:.1f}")


# ── writers ────────────────────────────────────────────────────────────────
def write_csv(out: IO[bytes], header: Iterable[str], rows: Iterable[tuple]) -> int:
    """UTF-8 with a BOM (so Excel reads the Chinese), CRLF lines; returns the number of rows."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
    try:
        writer = csv.writer(text)
        writer.writerow(header)
        count = 0
        for row in rows:
            writer.writerow(row)
            count += 1
        text.flush()
    finally:
        text.detach()  # leave the caller's stream open
    return count


def write_xlsx(out: IO[bytes], header: Iterable[str], rows: Iterable[tuple], widths: Iterable[int], title: str) -> int:
    """A write-only workbook: a bold, shaded, frozen header row, set column widths; returns the number of rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    for index, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    edge = Side(style="thin", color="888888")
    styled = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="B22222")
        cell.alignment = Alignment(horizontal="center", vertical="center")
        cell.border = Border(top=edge, bottom=edge, left=edge, right=edge)
        styled.append(cell)
    sheet.append(styled)
    count = 0
    for row in rows:
        sheet.append(row)
        count += 1
    workbook.save(out)
    return count
