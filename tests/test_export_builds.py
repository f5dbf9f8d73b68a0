"""The hours 台账 as Excel, built in the background: the page starts a build, a worker writes
the workbook into Redis, the status page shows progress and then the download, which only
the person who asked may see; asking again while it builds joins the same build."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from rq.job import Job

from bot.domain import export_builds
from bot.domain import hours as ledger
from bot.runtime import queue, worker
from bot.runtime.services import running_jobs
from jobs import exports as export_jobs
from tests.console_helpers import csrf_token, post, sign_in
from tests.ledger_helpers import person
from tests.organizer_helpers import make_organizer

BUILD = "/console/exports/hours.xlsx/builds"


@pytest.fixture
def ledger_rows(services, communities, make_activity):  # type: ignore[no-untyped-def]
    """Two admins, an organizer of 南乾元社区, and credits in 2025 in two communities (and one in 2024)."""
    make_organizer(services, "admin", role="admin", name="赵管理")
    make_organizer(services, "admin2", role="admin", name="钱管理")
    make_organizer(services, "org1", communities[0], name="王组织")
    a = person(services, "p-a", "张三", community_id=communities[0], party=True, employer="市第一医院")
    c = person(services, "p-c", "王五", community_id=communities[1])
    ours = make_activity("南乾元楼院清扫", community_id=communities[0], start=datetime(2025, 6, 1, 1))
    theirs = make_activity("南顺城街反诈讲座", kind="lecture", community_id=communities[1], start=datetime(2025, 7, 1, 1))
    older = make_activity("往年清扫", community_id=communities[0], start=datetime(2024, 6, 1, 1))
    with services.db.transaction() as session:
        for activity, resident, amount in ((ours, a, "2"), (theirs, c, "1.5"), (ours, c, "3"), (older, a, "1")):
            ledger.credit(session, resident_id=resident, activity_id=activity, hours=Decimal(amount), reason="test")


def _start(client, year: str = "2025"):  # type: ignore[no-untyped-def]
    started = post(client, BUILD, {"year": year})
    assert started.status_code == 303, started.status_code
    return started.headers["Location"]


def _work(services) -> None:  # type: ignore[no-untyped-def]
    worker.build(services).work(burst=True)


HOURS_COLUMN = 10


def _cell(value: object, column: int) -> str:
    """A workbook cell as the CSV writes it (hours are numbers there: `2` reads back as an int)."""
    if value is None:
        return ""
    return f"{value:.1f}" if column == HOURS_COLUMN and isinstance(value, int | float) else str(value)


def _xlsx_rows(data: bytes) -> list[list[str]]:
    sheet = load_workbook(io.BytesIO(data)).active
    return [[_cell(v, i) for i, v in enumerate(row)] for row in sheet.iter_rows(values_only=True)]


def _csv_rows(client, year: str = "2025") -> list[list[str]]:  # type: ignore[no-untyped-def]
    text = client.get(f"/console/exports/hours.csv?year={year}").get_data(as_text=True)
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_the_page_builds_the_workbook_in_the_background_with_progress_then_a_download(app, wx, services, ledger_rows):
    client = sign_in(app, wx, "admin")
    page = client.get("/console/exports").get_data(as_text=True)
    assert f'hx-post="{BUILD}"' in page  # the page's Excel button starts a build, not a download
    status = _start(client)
    building = client.get(status).get_data(as_text=True)
    assert "正在生成…（已写 0 行）" in building and 'hx-trigger="every 2s"' in building
    job = Job.fetch(f"export-{status.rsplit('/', 1)[1]}", connection=services.redis)
    assert job.timeout == export_builds.BUILD_TIMEOUT > 180  # not stopped at RQ's default while a big year is written
    assert client.get(status + "/file").status_code == 404  # nothing to download yet

    _work(services)
    done = client.get(status, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "已生成，共 3 行" in done and "every 2s" not in done and "<html" not in done  # the fragment stops polling
    download = client.get(status + "/file")
    assert download.status_code == 200
    direct = client.get("/console/exports/hours.xlsx?year=2025")
    assert download.headers["Content-Disposition"] == direct.headers["Content-Disposition"]
    assert "2025.xlsx" in download.headers["Content-Disposition"]
    rows = _xlsx_rows(download.data)
    assert rows == _csv_rows(client) and len(rows) == 4  # the header and the three entries of 2025
    assert load_workbook(io.BytesIO(download.data)).active["K2"].value == 2.0  # hours stay numbers

    # Run twice (a retried or repeated job), the build is left as it was.
    build_id = status.rsplit("/", 1)[1]
    with running_jobs(services):
        assert export_jobs.build_hours_xlsx(build_id) == 0
    assert client.get(status + "/file").data == download.data


def test_only_the_person_who_asked_sees_the_build_and_its_file(app, wx, services, ledger_rows):
    status = _start(sign_in(app, wx, "admin"))
    _work(services)
    for other in ("admin2", "org1"):
        client = sign_in(app, wx, other)
        assert client.get(status).status_code == 404
        assert client.get(status, headers={"HX-Request": "true"}).status_code == 404
        assert client.get(status + "/file").status_code == 404
    assert app.test_client().get(status + "/file").status_code == 302  # signed out: to the login page


def test_without_the_csrf_token_nothing_is_built(app, wx, services, ledger_rows):
    client = sign_in(app, wx, "admin")
    assert client.post(BUILD, data={"year": "2025"}).status_code == 400
    assert queue.get(services.redis).count == 0
    assert not services.redis.keys("cvb:export:*")
    assert post(client, BUILD, {"year": "2025"}).status_code == 303  # with it, the same request starts one
    assert queue.get(services.redis).count == 1


def test_asking_again_while_it_builds_joins_the_same_build(app, wx, services, ledger_rows):
    client = sign_in(app, wx, "admin")
    first = _start(client)
    assert _start(client) == first
    again = client.post(BUILD, data={"year": "2025"}, headers={"HX-Request": "true", "X-CSRFToken": csrf_token(client)})
    assert again.headers["HX-Redirect"] == first  # the page's htmx button lands on the same build
    assert queue.get(services.redis).count == 1
    assert _start(client, "2024") != first  # another year is another export
    assert _start(sign_in(app, wx, "admin2")) != first  # and so is another person's
    _work(services)
    assert _start(client) != first  # once done, asking again means fresh numbers


def test_a_scoped_organizers_build_holds_their_community_only(app, wx, services, ledger_rows):
    client = sign_in(app, wx, "org1")
    status = _start(client)
    _work(services)
    rows = _xlsx_rows(client.get(status + "/file").data)
    assert rows == _csv_rows(client)
    assert [r[6] for r in rows[1:]] == ["南乾元楼院清扫", "南乾元楼院清扫"]


def test_a_failed_build_says_so_and_can_be_tried_again(app, wx, services, ledger_rows, monkeypatch):
    from bot.domain import exports

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError("disk full")

    client = sign_in(app, wx, "admin")
    status = _start(client)
    with monkeypatch.context() as patch:
        patch.setattr(exports, "write_xlsx", broken)
        _work(services)
    page = client.get(status).get_data(as_text=True)
    assert "生成失败" in page and "重新生成" in page and "every 2s" not in page
    assert client.get(status + "/file").status_code == 404
    retry = _start(client)
    assert retry != status
    _work(services)
    assert "已生成，共 3 行" in client.get(retry).get_data(as_text=True)


def test_a_build_whose_worker_died_says_it_failed_and_a_new_request_starts_afresh(app, wx, services, ledger_rows):
    from rq.job import JobStatus

    client = sign_in(app, wx, "admin")
    status = _start(client)
    build_id = status.rsplit("/", 1)[1]
    # What RQ's registry cleanup does to the job of a worker killed mid-run.
    Job.fetch(f"export-{build_id}", connection=services.redis).set_status(JobStatus.FAILED)
    assert "生成失败" in client.get(status).get_data(as_text=True)
    retry = _start(client)
    assert retry != status
    _work(services)
    assert "已生成，共 3 行" in client.get(retry).get_data(as_text=True)
