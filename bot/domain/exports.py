"""Exports of the ledger: every entry (CSV or XLSX) and the per-employer 双报到 summary.

Rows are streamed, so memory stays flat however long the ledger is (see
`HoursExport`): on PostgreSQL the CSV is rendered by the database itself and
streamed with `COPY … TO STDOUT`; otherwise (SQLite, and every XLSX) the entries
come through a server-side cursor in batches and are rendered here. XLSX uses
openpyxl's write-only mode, which keeps no rows in memory either. CSV lines end in
LF (what PostgreSQL's COPY writes; Excel reads it).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import IO

from sqlalchemy import Connection, Select, and_, case, func, select
from sqlalchemy.orm import aliased

from bot.domain import families
from bot.domain.hours import year_bounds
from bot.domain.timefmt import SHANGHAI, to_local, to_utc_naive
from bot.storage.db import Database
from bot.storage.models import Activity, Community, HourEntry, Resident
from config import texts

BATCH = 5000
LINE_END = "\n"
# People and activities whose columns are kept while exporting (bounded: memory stays flat).
CACHE_SIZE = 50_000
# Column widths (characters) for the XLSX sheet, in header order.
HOURS_WIDTHS = (12, 10, 14, 6, 22, 9, 22, 12, 22, 36, 7, 16, 10)
EMPLOYER_WIDTHS = (28, 12, 14, 10, 12)


def _local_date(start_at: datetime) -> str:
    return f"{to_local(start_at):%Y-%m-%d}"


class _HoursText(dict):
    """Hours as export text, `2.0`; there are few distinct values (0.5-hour steps), each formatted once."""

    def __missing__(self, hours: Decimal | float) -> str:
        text = f"{Decimal(str(hours)):.1f}"
        self[hours] = text
        return text


def _csv_fragment(cells: tuple) -> str:
    """Cells as CSV text without a line end, quoted by the csv module exactly as a whole row would be."""
    buffer = io.StringIO()
    # The line end must be the real one: the csv module quotes a field that contains it.
    csv.writer(buffer, lineterminator=LINE_END).writerow(cells)
    return buffer.getvalue()[: -len(LINE_END)]


class HoursExport:
    """The ledger, one row per entry in ledger order, with the columns of `EXPORT_HOURS_HEADER`.

    Only the entries' own columns (person, activity, hours) are streamed from the
    database, through a server-side cursor in batches; each person's and each
    activity's columns are looked up once, per batch for those not yet known, and
    kept in caches that are emptied when they pass `cache_size`. Memory therefore
    stays flat however long the ledger grows, and the long activity texts are not
    sent, decoded and quoted again for every entry.
    """

    def __init__(
        self, db: Database, year: int | None = None, org_name: str = "", cache_size: int = CACHE_SIZE, community_id: int | None = None
    ):
        self.db = db
        self.year = year
        # A scoped organizer's export: only the entries of their community's activities.
        self.community_id = community_id
        self.org_name = org_name
        self.cache_size = cache_size
        self.people: dict[int, tuple] = {}  # resident id → cells
        self.people_csv: dict[int, str] = {}
        self.events: dict[int, tuple[tuple, tuple]] = {}  # activity id → (cells before hours, cells after)
        self.events_csv: dict[int, tuple[str, str]] = {}

    def _entries(self) -> Select:
        query = select(HourEntry.resident_id, HourEntry.activity_id, HourEntry.hours).order_by(HourEntry.id)
        if self.year is not None or self.community_id is not None:
            query = query.join(Activity, Activity.id == HourEntry.activity_id)
        if self.year is not None:
            begin, end = year_bounds(self.year)
            query = query.where(Activity.start_at >= begin, Activity.start_at < end)
        if self.community_id is not None:
            query = query.where(Activity.community_id == self.community_id)
        return query

    def _learn(self, conn: Connection, batch: list) -> None:
        """Look up, in one query each, the people and activities of this batch not in the caches."""
        if len(self.people) > self.cache_size:
            self.people.clear()
            self.people_csv.clear()
        if len(self.events) > self.cache_size:
            self.events.clear()
            self.events_csv.clear()
        people = {row[0] for row in batch} - self.people.keys()
        if people:
            home = aliased(Community)
            proxy = aliased(Resident)
            found = conn.execute(
                select(
                    Resident.id,
                    Resident.volunteer_no,
                    Resident.name,
                    home.name,
                    Resident.is_party_member,
                    Resident.employer,
                    Resident.proxy_id,
                    proxy.name,
                )
                .outerjoin(home, home.id == Resident.community_id)
                .outerjoin(proxy, proxy.id == Resident.proxy_id)
                .where(Resident.id.in_(people))
            )
            for rid, number, name, home_name, party, employer, proxy_id, proxy_name in found:
                # A family member is shown with who signed them up: `小明（代报：张三）`.
                shown = families.display_name(name, proxy_name or "") if proxy_id is not None and name else name or ""
                cells = (number or "", shown, home_name or "", texts.EXPORT_YES if party else texts.EXPORT_NO, employer or "")
                self.people[rid] = cells
                self.people_csv[rid] = _csv_fragment(cells)
        events = {row[1] for row in batch} - self.events.keys()
        if events:
            scope = aliased(Community)
            organizer = aliased(Resident)
            found = conn.execute(
                select(Activity.id, Activity.title, Activity.start_at, Activity.place, Activity.content, scope.name, organizer.name)
                .outerjoin(scope, scope.id == Activity.community_id)
                .outerjoin(organizer, organizer.id == Activity.organizer_id)
                .where(Activity.id.in_(events))
            )
            for aid, title, start_at, place, content, scope_name, person in found:
                # Art. 7 wants the service content; activities published by chat may have
                # none, and their title says it (as the certificate shows).
                head = (aid, title, _local_date(start_at), place, content or title)
                tail = (scope_name or self.org_name, person or "")
                self.events[aid] = (head, tail)
                self.events_csv[aid] = (_csv_fragment(head), _csv_fragment(tail))

    def _batches(self) -> Iterator[list]:
        with self.db.engine.connect() as conn:
            result = conn.execution_options(yield_per=BATCH).execute(self._entries())
            for batch in result.partitions():
                self._learn(conn, batch)
                yield batch

    def rows(self) -> Iterator[tuple]:
        """Each entry as a tuple of cells (hours as text like `2.0`)."""
        people, events, hours_text = self.people, self.events, _HoursText()
        for batch in self._batches():
            for rid, aid, hours in batch:
                head, tail = events[aid]
                yield (*people[rid], *head, hours_text[hours], *tail)

    def csv_chunks(self) -> Iterator[bytes]:
        """The CSV body (no header) as UTF-8 chunks; on PostgreSQL rendered by the database."""
        if self.db.dialect == "postgresql":
            yield from self._copy_chunks()
            return
        people, events, hours_text = self.people_csv, self.events_csv, _HoursText()
        for batch in self._batches():
            lines = []
            append = lines.append
            for rid, aid, hours in batch:
                head, tail = events[aid]
                append(f"{people[rid]},{head},{hours_text[hours]},{tail}{LINE_END}")
            yield "".join(lines).encode("utf-8")

    def _copy_chunks(self) -> Iterator[bytes]:
        """PostgreSQL renders the very same CSV and streams it (`COPY … TO STDOUT`).

        The database formats on one core while this process writes on the other,
        about twice the Python path's speed. Empty text is sent as NULL, which COPY
        writes unquoted, as the csv module does (`tests/test_export.py` compares
        the two byte for byte).
        """
        # Each person's and activity's columns are computed in a LATERAL subquery, which
        # PostgreSQL memoizes: the time-zone conversion runs once per activity, not per entry.
        sql = """COPY (
            SELECT p.volunteer_no, p.name, p.home, p.party, p.employer,
                   act.id, act.title, act.day, act.place, act.content, h.hours::text, act.body, act.person
            FROM hour_entries h
            JOIN LATERAL (
                SELECT r.volunteer_no,
                       NULLIF(CASE WHEN r.proxy_id IS NOT NULL AND r.name IS NOT NULL
                                   THEN %(m0)s || r.name || %(m1)s || COALESCE(px.name, %(noname)s) || %(m2)s
                                   ELSE r.name END, '') AS name,
                       NULLIF(hc.name, '') AS home,
                       CASE WHEN r.is_party_member THEN %(yes)s ELSE %(no)s END AS party, NULLIF(r.employer, '') AS employer
                FROM residents r LEFT JOIN communities hc ON hc.id = r.community_id
                LEFT JOIN residents px ON px.id = r.proxy_id
                WHERE r.id = h.resident_id OFFSET 0
            ) p ON true
            JOIN LATERAL (
                SELECT a.id, a.title, to_char((a.start_at AT TIME ZONE 'UTC') AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS day,
                       a.place, COALESCE(NULLIF(a.content, ''), a.title) AS content, NULLIF(COALESCE(ac.name, %(org)s), '') AS body,
                       NULLIF(o.name, '') AS person, a.start_at, a.community_id
                FROM activities a
                LEFT JOIN communities ac ON ac.id = a.community_id
                LEFT JOIN residents o ON o.id = a.organizer_id
                WHERE a.id = h.activity_id OFFSET 0
            ) act ON true
            {where}
            ORDER BY h.id
        ) TO STDOUT WITH (FORMAT csv, ENCODING 'UTF8')"""
        # The family-member form of a name, `{name}（代报：{proxy}）`, cut around its two blanks.
        m0, rest = texts.FAMILY_DISPLAY.split("{name}")
        m1, m2 = rest.split("{proxy}")
        params: dict = {"yes": texts.EXPORT_YES, "no": texts.EXPORT_NO, "org": self.org_name}
        params.update(m0=m0, m1=m1, m2=m2, noname=texts.ROSTER_NO_NAME)
        conditions = []
        if self.year is not None:
            params["begin"], params["end"] = year_bounds(self.year)
            conditions.append("act.start_at >= %(begin)s AND act.start_at < %(end)s")
        if self.community_id is not None:
            params["community"] = self.community_id
            conditions.append("act.community_id = %(community)s")
        where = ("WHERE " + " AND ".join(conditions)) if conditions else ""
        with self.db.engine.connect() as conn:
            raw = conn.connection.driver_connection
            with raw.cursor() as cursor, cursor.copy(sql.format(where=where), params) as copy:
                pending: list[bytes] = []
                size = 0
                for data in copy:  # one row per message: gather them into larger writes
                    pending.append(bytes(data))
                    size += len(data)
                    if size >= 1 << 20:
                        yield b"".join(pending)
                        pending.clear()
                        size = 0
                if pending:
                    yield b"".join(pending)


def hours_rows(db: Database, year: int | None = None, org_name: str = "") -> Iterator[tuple]:
    """One tuple per ledger entry, in ledger order, with the columns of `EXPORT_HOURS_HEADER`."""
    return HoursExport(db, year, org_name).rows()


def xlsx_hours_rows(rows: Iterable[tuple]) -> Iterator[tuple]:
    """Rows of `HoursExport.rows` with the hours as numbers, which Excel can sum."""
    for row in rows:
        yield (*row[:10], float(row[10]), *row[11:])


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


def employer_totals(db: Database, year: int, quarter: int, community_id: int | None = None) -> list[EmployerTotal]:
    """Per employer: its in-service party members and their service in the quarter; most hours first.

    `community_id` limits it to the party members living in that community (a scoped organizer's view).
    """
    begin, end = quarter_bounds(year, quarter)
    party = and_(Resident.is_party_member.is_(True), Resident.employer.is_not(None), Resident.erased_at.is_(None))
    if community_id is not None:
        party = and_(party, Resident.community_id == community_id)
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
    """UTF-8 with a BOM (so Excel reads the Chinese); returns the number of rows."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
    try:
        writer = csv.writer(text, lineterminator=LINE_END)
        writer.writerow(header)
        count = 0
        for row in rows:
            writer.writerow(row)
            count += 1
        text.flush()
    finally:
        text.detach()  # leave the caller's stream open
    return count


def csv_stream(header: Iterable[str], chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The BOM and header line, then a body already rendered as UTF-8 CSV (`HoursExport.csv_chunks`)."""
    yield ("\ufeff" + _csv_fragment(tuple(header)) + LINE_END).encode("utf-8")
    yield from chunks


def write_csv_chunks(out: IO[bytes], header: Iterable[str], chunks: Iterable[bytes]) -> None:
    """Like `write_csv`, for a body already rendered as UTF-8 CSV (`HoursExport.csv_chunks`)."""
    for chunk in csv_stream(header, chunks):
        out.write(chunk)
    out.flush()


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
    # Printed, the office wants every column on one page across: landscape, fit to width.
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
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
        sheet.append([_hours_cell(sheet, v, WriteOnlyCell) if isinstance(v, float) else v for v in row])
        count += 1
    workbook.save(out)
    return count


def _hours_cell(sheet, value: float, cell_type):  # type: ignore[no-untyped-def]
    """Hours shown as `2.0`, as in the CSV, while staying a number Excel can sum."""
    cell = cell_type(sheet, value=value)
    cell.number_format = "0.0"
    return cell
