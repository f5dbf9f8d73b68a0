"""Every console page answers for an admin, shows what it should, and keeps phones masked;
a scoped organizer meets another community's pages as 404; the audit log is admins' only."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook

from bot.storage.models import utc_now
from tests.console_helpers import sign_in
from tests.ledger_helpers import person, sign_up
from tests.organizer_helpers import make_organizer


@pytest.fixture
def office(services, communities, make_activity):  # type: ignore[no-untyped-def]
    """An admin, an organizer of 南乾元社区, people in two communities, and activities of each."""
    make_organizer(services, "admin", role="admin", name="赵管理")
    make_organizer(services, "org1", communities[0], name="王组织")
    people = {
        "a": person(services, "p-a", "张三", community_id=communities[0], phone="13800138000", party=True, employer="市第一医院"),
        "b": person(services, "p-b", "李四", community_id=communities[0], phone="13800138001"),
        "c": person(services, "p-c", "王五", community_id=communities[1], phone="13900139002"),
    }
    ours = make_activity("南乾元楼院清扫", community_id=communities[0], capacity=1)
    theirs = make_activity("南顺城街反诈讲座", kind="lecture", community_id=communities[1])
    everyone = make_activity("全街道文艺汇演", kind="culture")
    sign_up(services, people["a"], ours)
    sign_up(services, people["b"], ours)  # full: waits
    sign_up(services, people["c"], theirs)
    return {"people": people, "ours": ours, "theirs": theirs, "everyone": everyone, "communities": communities}


def _pages(o: dict) -> list[str]:
    a = o["ours"]
    return [
        "/console/",
        "/console/charts/hours-by-month",
        "/console/charts/participants-by-kind",
        "/console/charts/party-progress",
        "/console/activities",
        "/console/activities?from=2020-01-01&kind=cleanup&status=published&q=清扫",
        "/console/activities/new",
        f"/console/activities/{a}",
        f"/console/activities/{a}/edit",
        f"/console/activities/{a}/sign-in-sheet",
        f"/console/activities/{a}/display",
        f"/console/activities/{a}/display/count",
        f"/console/activities/{a}/roster.csv",
        f"/console/activities/{a}/roster.xlsx",
        f"/console/hours/activities/{a}",
        "/console/hours",
        "/console/hours?tab=people",
        "/console/hours?tab=disputes",
        "/console/broadcasts",
        "/console/broadcasts/audience-size?audience=all",
        "/console/people",
        "/console/people?name=张&party=1",
        "/console/exports",
        "/console/exports/hours.csv",
        "/console/exports/hours.xlsx",
        "/console/exports/employers.csv?quarter=2026Q4",
        "/console/exports/employers.xlsx?quarter=2026Q4",
        "/console/audit",
    ]


def test_every_page_answers_for_an_admin(app, wx, office):
    client = sign_in(app, wx, "admin")
    for path in _pages(office):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert response.headers["Cache-Control"] == "private, no-store", path


def test_no_page_shows_a_whole_phone_number(app, wx, office):
    client = sign_in(app, wx, "admin")
    for path in _pages(office):
        body = client.get(path).data
        if path.endswith(".xlsx"):
            sheet = load_workbook(BytesIO(body)).active
            body = "\n".join(str(c.value) for row in sheet.iter_rows() for c in row).encode()
        for phone in (b"13800138000", b"13800138001", b"13900139002"):
            assert phone not in body, (path, phone)


def test_the_roster_shows_status_waitlist_order_check_in_and_masked_phones(app, wx, office):
    client = sign_in(app, wx, "admin")
    html = client.get(f"/console/activities/{office['ours']}").get_data(as_text=True)
    assert "张三" in html and "138****8000" in html and "已报名" in html and "未签到" in html
    assert "李四" in html and "138****8001" in html and "候补第 1 位" in html


def test_the_sign_in_sheet_has_a_row_per_person_ten_blank_rows_and_the_checkin_qr(app, wx, office):
    client = sign_in(app, wx, "admin")
    html = client.get(f"/console/activities/{office['ours']}/sign-in-sheet").get_data(as_text=True)
    assert "志愿服务签到表" in html and "南乾元楼院清扫" in html and "南乾元社区3号院" in html
    assert html.count('<td class="sign"></td>') == 1 + 10  # 张三 (confirmed), then ten blank rows
    assert "李四" not in html  # the waitlist does not sign in
    assert "data:image/png;base64," in html and "签到 " in html
    assert "size: A4 portrait" in html and "counter(pages)" in html


def test_the_checkin_display_shows_the_code_and_a_live_count(app, wx, office, services):
    client = sign_in(app, wx, "admin")
    html = client.get(f"/console/activities/{office['ours']}/display").get_data(as_text=True)
    from bot.storage.models import Activity

    with services.db.transaction() as session:
        code = session.get(Activity, office["ours"]).checkin_code
    assert code and f"签到 {code}" in html and "every 5s" in html
    count = client.get(f"/console/activities/{office['ours']}/display/count").get_data(as_text=True)
    assert "已签到 <b>0</b> / 1 人" in count


def test_the_dashboard_lists_what_is_coming_with_fill_and_waitlist(app, wx, office):
    client = sign_in(app, wx, "admin")
    html = client.get("/console/").get_data(as_text=True)
    assert "南乾元楼院清扫" in html and "南顺城街反诈讲座" in html and "全街道文艺汇演" in html
    assert "1/1" in html  # full
    assert 'src="/console/static/vendor/chart-4.6.1.umd.min.js"' in html and "cdn" not in html.lower()


def test_the_vendored_assets_are_served_by_the_app(app):
    client = app.test_client()
    for name in ("vendor/htmx-2.0.11.min.js", "vendor/chart-4.6.1.umd.min.js", "console.css", "console.js"):
        assert client.get(f"/console/static/{name}").status_code == 200, name


@pytest.mark.parametrize("kind", ["ours", "theirs", "everyone"])
def test_a_scoped_organizer_sees_their_community_only(app, wx, office, kind):
    client = sign_in(app, wx, "org1")
    activity = office[kind]
    paths = [
        f"/console/activities/{activity}",
        f"/console/activities/{activity}/edit",
        f"/console/activities/{activity}/sign-in-sheet",
        f"/console/activities/{activity}/display",
        f"/console/activities/{activity}/display/count",
        f"/console/activities/{activity}/roster.csv",
        f"/console/activities/{activity}/roster.xlsx",
        f"/console/hours/activities/{activity}",
    ]
    expected = 200 if kind == "ours" else 404
    for path in paths:
        assert client.get(path).status_code == expected, path


def test_a_scoped_organizers_lists_and_exports_hold_their_community_only(app, wx, office):
    client = sign_in(app, wx, "org1")
    listing = client.get("/console/activities").get_data(as_text=True)
    assert "南乾元楼院清扫" in listing and "南顺城街反诈讲座" not in listing and "全街道文艺汇演" not in listing
    people = client.get("/console/people").get_data(as_text=True)
    assert "张三" in people and "王五" not in people
    dashboard = client.get("/console/").get_data(as_text=True)
    assert "南顺城街反诈讲座" not in dashboard
    audiences = client.get("/console/broadcasts").get_data(as_text=True)
    assert 'value="community:' in audiences and 'value="all"' not in audiences
    assert client.get("/console/broadcasts/audience-size?audience=all").status_code == 404
    assert client.get("/console/audit").status_code == 404  # admins only


def test_a_scoped_organizers_hours_export_holds_their_activities_entries_only(app, wx, office, services):
    from decimal import Decimal

    from bot.domain import hours as ledger

    with services.db.transaction() as session:
        for activity, resident in ((office["ours"], office["people"]["a"]), (office["theirs"], office["people"]["c"])):
            ledger.credit(session, resident_id=resident, activity_id=activity, hours=Decimal("2"), reason="test")
    admin = sign_in(app, wx, "admin").get("/console/exports/hours.csv").get_data(as_text=True)
    assert "南乾元楼院清扫" in admin and "南顺城街反诈讲座" in admin
    scoped = sign_in(app, wx, "org1").get("/console/exports/hours.csv").get_data(as_text=True)
    assert scoped.startswith("\ufeff志愿者编号,姓名,社区,党员,在职单位,活动编号")
    assert "南乾元楼院清扫" in scoped and "南顺城街反诈讲座" not in scoped
    xlsx = sign_in(app, wx, "org1").get("/console/exports/hours.xlsx")
    assert xlsx.headers["Content-Disposition"].startswith("attachment;")
    rows = list(load_workbook(BytesIO(xlsx.data)).active.iter_rows(values_only=True))
    assert rows[0][0] == "志愿者编号" and len(rows) == 2 and rows[1][6] == "南乾元楼院清扫" and rows[1][10] == 2.0


def test_the_audit_log_shows_changes_from_console_and_chat(app, wx, office, services):
    client = sign_in(app, wx, "admin")
    wx.say(f"停办 {office['everyone']} 场地维修", user="admin")
    html = client.get("/console/audit").get_data(as_text=True)
    assert "停办活动" in html and "场地维修" in html and "微信" in html and "赵管理" in html
    assert "登录工作台" in html  # the sign-in itself


def test_the_hours_pages_show_the_ledger_by_activity_and_by_person(app, wx, office, services):
    from decimal import Decimal

    from bot.domain import hours as ledger
    from bot.storage.models import Activity

    with services.db.transaction() as session:
        session.get(Activity, office["ours"]).status = "closed"
        ledger.credit(
            session,
            resident_id=office["people"]["a"],
            activity_id=office["ours"],
            hours=Decimal("2"),
            reason="check-in to check-out",
        )
    client = sign_in(app, wx, "admin")
    by_activity = client.get("/console/hours").get_data(as_text=True)
    assert "南乾元楼院清扫" in by_activity
    by_person = client.get("/console/hours?tab=people&q=张三").get_data(as_text=True)
    assert "张三" in by_person and "李四" not in by_person
    entries = client.get(f"/console/hours/activities/{office['ours']}").get_data(as_text=True)
    assert "check-in to check-out" in entries and "记录" in entries


def test_the_activity_list_filters_by_date_kind_community_and_status(app, wx, office, services):
    client = sign_in(app, wx, "admin")
    c = office["communities"]
    lectures = client.get("/console/activities?kind=lecture").get_data(as_text=True)
    assert "南顺城街反诈讲座" in lectures and "南乾元楼院清扫" not in lectures
    second = client.get(f"/console/activities?community={c[1]}").get_data(as_text=True)
    assert "南顺城街反诈讲座" in second and "全街道文艺汇演" not in second
    subdistrict = client.get("/console/activities?community=0").get_data(as_text=True)
    assert "全街道文艺汇演" in subdistrict and "南顺城街反诈讲座" not in subdistrict
    later = (utc_now() + timedelta(days=30)).date().isoformat()
    assert "没有符合条件的活动" in client.get(f"/console/activities?from={later}").get_data(as_text=True)
    assert "没有符合条件的活动" in client.get("/console/activities?status=closed").get_data(as_text=True)


def test_a_long_roster_is_paged_with_the_numbers_of_the_whole_list(app, wx, office, services, make_activity):
    from tests.organizer_helpers import make_residents, sign_up_all

    big = make_activity("大型义诊", community_id=office["communities"][0], capacity=200)
    sign_up_all(services, make_residents(services, 205, office["communities"][0], prefix="big"), big)
    client = sign_in(app, wx, "admin")
    first = client.get(f"/console/activities/{big}").get_data(as_text=True)
    assert first.count('<span class="badge ok">已报名</span>') == 200 and "候补第" not in first and "第 1 / 2 页" in first
    second = client.get(f"/console/activities/{big}?page=2").get_data(as_text=True)
    assert "已报名</span>" not in second and "候补第 1 位" in second and "候补第 5 位" in second


def test_a_family_member_reads_with_their_proxy_on_the_roster_and_the_sheet(app, wx, office, make_activity):
    from tests.test_family import add_member

    wx.register(name="赵六", phone="13700137000", user="parent")
    add_member(wx, "小明", user="parent")
    reading = make_activity("儿童读书会", kind="culture", community_id=office["communities"][0])
    assert "小明：报名成功" in wx.say(f"报名 {reading} 小明", user="parent")
    client = sign_in(app, wx, "admin")
    for path in (f"/console/activities/{reading}", f"/console/activities/{reading}/sign-in-sheet"):
        html = client.get(path).get_data(as_text=True)
        assert "小明（代报：赵六）" in html and "137****7000" in html, path
    assert "小明（代报：赵六）" in client.get(f"/console/activities/{reading}/roster.csv").get_data(as_text=True)
