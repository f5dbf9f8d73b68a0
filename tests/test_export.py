"""`flask --app wsgi export hours|employers`: CSV with a BOM, styled XLSX, the 双报到 summary."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from bot.domain import exports, hours
from bot.domain.timefmt import to_utc_naive
from bot.storage.models import Activity, Resident
from tests.ledger_helpers import activity_at, organizer, person

HEADER = "志愿者编号,姓名,社区,党员,在职单位,活动编号,活动,日期,地点,服务内容,时长,组织单位,负责人"


def _local(text: str) -> datetime:
    return to_utc_naive(datetime.fromisoformat(text))


@pytest.fixture
def ledger(services, communities):  # type: ignore[no-untyped-def]
    """Two volunteers, three activities over two years, a credit each and one correction."""
    org = organizer(services, community_id=communities[0])
    member = person(services, "party-1", "周党员", community_id=communities[1], party=True, employer="市第一医院")
    resident = person(services, "vol-1", "李四", community_id=communities[0])
    # 08:30 on 1 Jan in Shanghai is still 31 Dec in UTC: the date column must be the local one.
    new_year = activity_at(services, _local("2026-01-01 08:30"), title="元旦义务清扫", community_id=communities[0], organizer_id=org)
    autumn = activity_at(services, _local("2026-11-28 09:00"), title="反诈骗知识讲座", hours="1.5", content="协助签到")
    old = activity_at(services, _local("2025-06-01 09:00"), title="义务植树", hours="3")
    with services.db.transaction() as session:
        hours.credit(session, resident_id=member, activity_id=new_year, hours=Decimal("2"), reason="t")
        hours.credit(session, resident_id=resident, activity_id=autumn, hours=Decimal("1.5"), reason="t")
        hours.credit(session, resident_id=member, activity_id=old, hours=Decimal("3"), reason="t")
        activity = session.get(Activity, new_year)
        hours.correct(session, resident_id=member, activity=activity, total=Decimal("1.5"), reason="left early", author_id=org)
    return member, resident, new_year, autumn, old


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode()), "CSV must start with a UTF-8 BOM"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_export_hours_csv_to_stdout(app, services, ledger):
    member, resident, new_year, autumn, old = ledger
    result = app.test_cli_runner().invoke(args=["export", "hours"])
    assert result.exit_code == 0, result.output
    rows = _csv_rows(result.stdout_bytes)
    assert ",".join(rows[0]) == HEADER
    assert b"\r" not in result.stdout_bytes  # LF line ends, as PostgreSQL's COPY writes them
    body = rows[1:]
    assert len(body) == 4  # one row per ledger entry: three credits and a correction
    with services.db.transaction() as session:
        member_no = session.get(Resident, member).volunteer_no
    first = body[0]
    assert first == [
        member_no, "周党员", "南顺城街社区", "是", "市第一医院", str(new_year), "元旦义务清扫", "2026-01-01",
        "南乾元社区3号院", "清扫楼道、院落垃圾", "2.0", "南乾元社区", "王组织",
    ]  # fmt: skip
    assert body[1][1:4] == ["李四", "南乾元社区", "否"] and body[1][4] == "" and body[1][10] == "1.5"
    assert body[1][11] == "测试街道办事处" and body[1][12] == ""  # a 全街道 activity: the office organizes it
    assert body[3][5] == str(new_year) and body[3][10] == "-0.5"  # the signed correction


def test_export_hours_for_one_year_to_a_file(app, ledger, tmp_path):
    out = tmp_path / "hours.csv"
    result = app.test_cli_runner().invoke(args=["export", "hours", "--year", "2025", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = _csv_rows(out.read_bytes())
    assert [row[6] for row in rows[1:]] == ["义务植树"]
    assert [row[10] for row in rows[1:]] == ["3.0"]


def test_export_hours_xlsx_has_a_styled_header_and_widths(app, ledger, tmp_path):
    out = tmp_path / "hours.xlsx"
    result = app.test_cli_runner().invoke(args=["export", "hours", "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out).active
    header = [cell.value for cell in sheet[1]]
    assert ",".join(header) == HEADER
    assert sheet["A1"].font.bold and sheet["A1"].fill.fgColor.rgb.endswith("B22222")
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["J"].width == 36 and sheet.column_dimensions["A"].width == 12
    assert sheet.max_row == 5
    assert sheet["K2"].value == 2.0 and sheet["K5"].value == -0.5  # numbers, so they can be summed
    assert sheet["K2"].number_format == "0.0"  # shown as 2.0, like the CSV
    assert sheet.page_setup.orientation == "landscape" and sheet.sheet_properties.pageSetUpPr.fitToPage  # prints one page across


def test_export_hours_xlsx_to_stdout_is_a_workbook(app, ledger):
    result = app.test_cli_runner().invoke(args=["export", "hours", "--format", "xlsx"])
    assert result.exit_code == 0
    assert result.stdout_bytes[:2] == b"PK"
    assert load_workbook(io.BytesIO(result.stdout_bytes)).active.max_row == 5


def test_export_employers_sums_party_members_per_quarter(app, services, communities, ledger):
    colleague = person(services, "party-2", "吴党员", community_id=communities[2], party=True, employer="市第一医院")
    person(services, "party-3", "郑党员", community_id=communities[2], party=True, employer="西安交通大学")
    q1 = activity_at(services, _local("2026-03-20 09:00"), title="敬老院慰问")
    with services.db.transaction() as session:
        hours.credit(session, resident_id=colleague, activity_id=q1, hours=Decimal("2"), reason="t")
    result = app.test_cli_runner().invoke(args=["export", "employers", "--quarter", "2026Q1"])
    assert result.exit_code == 0, result.output
    rows = _csv_rows(result.stdout_bytes)
    assert rows[0] == ["在职单位", "报到党员数", "参加服务人数", "服务人次", "服务时长"]
    # 市第一医院: two members; both served in Q1 (1 Jan, net 1.5 h; 20 Mar, 2 h); the non-party 李四 is not counted.
    assert rows[1] == ["市第一医院", "2", "2", "2", "3.5"]
    assert rows[2] == ["西安交通大学", "1", "0", "0", "0.0"]
    assert len(rows) == 3
    q4 = _csv_rows(app.test_cli_runner().invoke(args=["export", "employers", "--quarter", "2026q4"]).stdout_bytes)
    assert q4[1][0] == "市第一医院" and q4[1][2:] == ["0", "0", "0.0"]


def test_export_employers_needs_a_real_quarter(app):
    result = app.test_cli_runner().invoke(args=["export", "employers", "--quarter", "2026Q5"])
    assert result.exit_code != 0 and "2026Q4" in result.output


def test_the_fast_csv_path_quotes_exactly_like_the_csv_module(services, communities, ledger):
    awkward = activity_at(services, _local("2026-05-01 09:00"), title='读书会"好书"', place="活动室, 二楼", content="第一行\n第二行")
    with services.db.transaction() as session:
        hours.credit(session, resident_id=ledger[1], activity_id=awkward, hours=Decimal("0.5"), reason="t")
    # A cache of one person and one activity is emptied on every batch: the output must not change.
    # (On PostgreSQL the fast path is the database's own COPY: it must agree byte for byte.)
    for cache_size in (exports.CACHE_SIZE, 1):
        export = exports.HoursExport(services.db, org_name="测试街道办事处", cache_size=cache_size)
        expected = io.StringIO(newline="")
        csv.writer(expected, lineterminator="\n").writerows(export.rows())
        assert b"".join(export.csv_chunks()).decode("utf-8") == expected.getvalue()
        year = exports.HoursExport(services.db, year=2025, org_name="测试街道办事处", cache_size=cache_size)
        assert b"".join(year.csv_chunks()).decode("utf-8").count("\n") == 1
    rows = list(exports.HoursExport(services.db, org_name="x").rows())
    assert rows[-1][6:10] == ('读书会"好书"', "2026-05-01", "活动室, 二楼", "第一行\n第二行") and rows[-1][10] == "0.5"


def test_an_activity_without_content_shows_its_title_as_the_service_content(app, services, communities):
    """Art. 7 asks for the service content; activities published by chat have none written."""
    volunteer = person(services, "vol-2", "王五", community_id=communities[0])
    bare = activity_at(services, _local("2026-03-12 09:00"), title="义务植树", content="")
    with services.db.transaction() as session:
        hours.credit(session, resident_id=volunteer, activity_id=bare, hours=Decimal("2"), reason="t")
    result = app.test_cli_runner().invoke(args=["export", "hours"])
    assert result.exit_code == 0, result.output
    [row] = _csv_rows(result.stdout_bytes)[1:]
    assert row[6] == "义务植树" and row[9] == "义务植树"
