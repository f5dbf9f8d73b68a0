"""The console in a real browser: Debian's Chromium driven by Playwright, against the app
served by a real WSGI server on a free port. Sign in by sending the page's code through the
webhook, publish an activity through the form, find it in the list, open its roster, print
the 签到表 to PDF.

Chromium comes from Debian (`make test` installs `chromium-headless-shell`); Playwright's
own browser download (`playwright install`) is never used. Without CI the test is skipped,
saying why, when Chromium is missing; with CI=true it fails instead.

Set CONSOLE_SCREENSHOTS=/some/dir to keep screenshots of each page at 1366×768 and 390 px wide.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from bot.domain.timefmt import to_local
from bot.storage.models import utc_now
from tests.conftest import IN_CI
from tests.organizer_helpers import make_organizer

CHROMIUM = os.environ.get("CONSOLE_CHROMIUM", "/usr/bin/chromium-headless-shell")
SHOTS = os.environ.get("CONSOLE_SCREENSHOTS", "")
SIZES = {"desktop": (1366, 768), "phone": (390, 844)}


def _need_browser() -> None:
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (pip)")
    if not Path(CHROMIUM).exists():
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium-headless-shell fonts-wqy-microhei)")
    if missing:
        message = "browser tests need " + " and ".join(missing)
        if IN_CI:
            pytest.fail(message + "; CI=true requires them")
        pytest.skip(message)


@pytest.fixture
def live(app):  # type: ignore[no-untyped-def]
    """The app served over HTTP by werkzeug's threaded server on a free port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Keep a screenshot at each size when CONSOLE_SCREENSHOTS is set; check nothing overflows sideways."""
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(150)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{name} is {overflow}px wider than a {width}px window"
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SHOTS) / f"{name}-{size}.png"), full_page=size == "phone")
    page.set_viewport_size({"width": 1366, "height": 768})


def test_sign_in_publish_find_roster_and_print_the_sheet(app, live, browser, wx, services, communities, tmp_path):
    make_organizer(services, "admin", role="admin", name="赵管理")
    page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")

    # Sign in: the page shows the code; it is sent from WeChat through the webhook; the page moves on by itself.
    page.goto(f"{live}/console/")
    assert page.url.endswith("/console/login")
    code = re.search(r"登录 (\d{6})", page.inner_text("#login-code")).group(1)
    _shot(page, "login")
    assert "已登录工作台" in wx.say(f"登录 {code}", user="admin")
    page.wait_for_url(f"{live}/console/", timeout=10_000)
    page.wait_for_selector("canvas", timeout=10_000)  # the charts arrived (htmx) and Chart.js drew them

    # Publish through the form.
    start = to_local(utc_now() + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    page.click("text=活动")
    page.click("text=发布活动")
    page.select_option("select[name=kind]", "cleanup")
    page.fill("input[name=title]", "浏览器里发布的楼院清扫")
    page.fill("input[name=start_at]", f"{start:%Y-%m-%dT%H:%M}")
    page.fill("input[name=end_at]", f"{start + timedelta(hours=2):%Y-%m-%dT%H:%M}")
    page.fill("input[name=place]", "南乾元社区3号院")
    page.fill("input[name=capacity]", "2")
    page.fill("input[name=hours]", "2")
    page.select_option("select[name=community_id]", str(communities[0]))
    page.fill("textarea[name=content]", "清扫楼道、院落垃圾")
    page.click("#activity-form button[type=submit]")
    page.wait_for_selector("text=已发布")
    activity_id = int(re.search(r"/activities/(\d+)", page.url).group(1))

    # Residents sign up from chat; the roster shows them, masked.
    wx.register("张三", "13800138000", user="p-1")
    wx.register("李四", "13800138001", user="p-2")
    wx.register("王五", "13800138002", user="p-3")
    for openid in ("p-1", "p-2", "p-3"):
        wx.say(f"报名 {activity_id}", user=openid)

    page.click("text=活动")
    row = page.locator("#activity-list tr", has_text="浏览器里发布的楼院清扫")
    assert row.count() == 1 and "2/2" in row.inner_text()
    row.locator("a").click()
    roster = page.inner_text("#roster-table")
    assert "张三" in roster and "138****8000" in roster and "候补第 1 位" in roster and "13800138000" not in roster
    _shot(page, "roster")

    # The printable 签到表, printed to PDF as the browser would.
    page.goto(f"{live}/console/activities/{activity_id}/sign-in-sheet")
    assert "志愿服务签到表" in page.inner_text("h1")
    assert page.locator("tbody tr").count() == 2 + 10
    _shot(page, "sign-in-sheet")
    pdf = tmp_path / "sheet.pdf"
    page.emulate_media(media="print")
    page.pdf(path=str(pdf), format="A4", print_background=True)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 5_000
    if SHOTS:
        shutil.copy(pdf, Path(SHOTS) / "sign-in-sheet.pdf")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "志愿服务签到表" in text and "浏览器里发布的楼院清扫" in text and "张三" in text
        pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        assert re.search(r"Pages:\s+1\b", pages), pages  # one A4 page for two people and ten blank rows
        assert "595" in pages  # A4 width in points
    page.emulate_media(media="screen")

    # The projector display and the dashboard, for the record.
    page.goto(f"{live}/console/activities/{activity_id}/display")
    page.wait_for_selector("#live-count b", timeout=10_000)
    assert "已签到 0 / 2 人" in page.inner_text("#live-count")
    _shot(page, "display")
    page.goto(f"{live}/console/")
    page.wait_for_selector("canvas", timeout=10_000)
    page.wait_for_timeout(500)
    _shot(page, "dashboard")
    for path, name in (("/console/hours", "hours"), ("/console/broadcasts", "broadcasts"), ("/console/people", "people")):
        page.goto(live + path)
        _shot(page, name)
