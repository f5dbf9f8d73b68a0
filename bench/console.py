"""The organizer console at office scale (SPEC §8): every page's latency under wrk.

    .venv/bin/python -m bench.console [--seconds 5] [--connections 4] [--keep]

1. Empties and migrates its own PostgreSQL database (BENCH_CONSOLE_POSTGRES_URL, default
   `volunteer_bench_console`) and Redis db (BENCH_CONSOLE_REDIS_URL, default db 12), then
   bulk-loads 10,000 residents, 1,000 activities and 1,000,000 ledger entries
   (bench/console_data.py); `--keep` reuses a database loaded by an earlier run.
2. Serves bench/bare_app.py and then the app (wsgi:app) with the same gunicorn settings
   (2 workers × 4 threads, ports BENCH_CONSOLE_PORT and the next one, default 8120/8121).
3. Signs in as a person does: opens /console/login, sends `登录 NNNNNN` signed as WeChat
   would to /wechat, polls the status; once as the admin (everything) and once as an
   organizer scoped to one community.
4. Runs `wrk --latency` with the session cookie against every page for `--seconds` at
   each of `--connections` (default 1 and 4: one clerk, four at once), and against the
   bare endpoint in the same run: requests/s, p50, p99.
5. Times the streamed exports (the whole 台账 as CSV and XLSX, one request each): time to
   the first byte, total time, rows per second.

Target: every page p99 < 200 ms. The machine is shared, so read each page next to the
bare baseline of the same run. Prints one JSON report.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import time
from datetime import datetime
from urllib.parse import quote

import requests

from bench import console_data as data
from bench.common import APP_ID, TOKEN, app_env, serve, stop
from bot.storage.schema import reset_database
from bot.wechat.peer import WeChatPeer
from config import Settings

PG_URL = os.environ.get("BENCH_CONSOLE_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/volunteer_bench_console")
REDIS_URL = os.environ.get("BENCH_CONSOLE_REDIS_URL", "redis://127.0.0.1:6379/12")
PORT = int(os.environ.get("BENCH_CONSOLE_PORT", "8120"))


def pages(scoped: bool) -> list[tuple[str, str]]:
    """(name, path) of every console page measured; the scoped organizer gets the ones whose queries change with scope."""
    a = data.OPEN_ACTIVITY
    past = data.PAST - 3
    common = [
        ("dashboard", "/console/"),
        ("chart: hours by month", "/console/charts/hours-by-month"),
        ("chart: participants by kind", "/console/charts/participants-by-kind"),
        ("chart: party progress", "/console/charts/party-progress"),
        ("activities", "/console/activities"),
        ("activities filtered", "/console/activities?kind=lecture&status=closed&from=2025-01-01"),
        ("activities page 40", "/console/activities?page=40"),
        ("hours by activity", "/console/hours"),
        ("hours by person", "/console/hours?tab=people"),
        ("hours by person p300", "/console/hours?tab=people&page=300"),
        ("people", "/console/people"),
        ("people search", "/console/people?name=王&party=1"),
        ("people page 300", "/console/people?page=300"),
    ]
    if scoped:
        return common
    return common + [
        ("activity + roster (120)", f"/console/activities/{a}"),
        ("activity + roster (1,052)", f"/console/activities/{past}"),
        ("activity edit form", f"/console/activities/{a}/edit"),
        ("sign-in sheet", f"/console/activities/{a}/sign-in-sheet"),
        ("check-in display", f"/console/activities/{a}/display"),
        ("display live count", f"/console/activities/{a}/display/count"),
        ("ledger of an activity", f"/console/hours/activities/{past}"),
        ("disputes", "/console/hours?tab=disputes"),
        ("broadcasts", "/console/broadcasts"),
        ("broadcast 10k recipients", f"/console/broadcasts/{data.BROADCAST_ID}"),
        ("broadcast recipients p150", f"/console/broadcasts/{data.BROADCAST_ID}?page=150"),
        ("audience size (all)", "/console/broadcasts/audience-size?audience=all"),
        ("exports page", "/console/exports"),
        ("audit log", "/console/audit"),
        ("audit log page 90", "/console/audit?page=90"),
    ]


# ── signing in, as a person does ────────────────────────────────────────────
def sign_in(base: str, openid: str) -> requests.Session:
    """A browser session signed in as `openid`: the login page's code, sent from 'WeChat'."""
    browser = requests.Session()
    browser.headers["User-Agent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0 Safari/537.36"
    page = browser.get(f"{base}/console/login", timeout=10).text
    code = re.search(r"登录 (\d{6})", page).group(1)
    peer = WeChatPeer.from_settings(
        Settings.load({"WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID, "WECHAT_ENCODING_AES_KEY": ""})
    )
    signed = peer.signed(peer.text_xml(openid, f"登录 {code}"))
    reply = requests.post(f"{base}/wechat", params=signed.query, data=signed.body, timeout=10)
    assert "已登录工作台" in reply.content.decode(), reply.content.decode()
    status = browser.get(f"{base}/console/login/status", timeout=10)
    assert status.headers.get("HX-Redirect") == "/console/", status.status_code
    assert browser.get(f"{base}/console/", timeout=30).status_code == 200
    return browser


def cookie_header(browser: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in browser.cookies)


# ── wrk ─────────────────────────────────────────────────────────────────────
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip())
    return round(float(match.group(1)) * _UNITS[match.group(2)], 2)


def wrk(url: str, seconds: int, connections: int, cookie: str | None = None) -> dict:
    """requests/s and latency percentiles from `wrk --latency`; non-2xx answers counted."""
    command = ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{seconds}s", "--latency", "--timeout", "5s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*command, quote(url, safe=":/?&=%")], capture_output=True, text=True, check=True).stdout
    percentiles = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", out, re.M))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    timeouts = re.search(r"timeout (\d+)", out)
    never = 5000.0  # no answer within wrk's timeout: counted as its limit
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": _ms(percentiles["50"]) if "50" in percentiles else never,
        "p99_ms": _ms(percentiles["99"]) if "99" in percentiles else never,
        "timeouts": int(timeouts.group(1)) if timeouts else 0,
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "non_2xx": int(bad.group(1)) if bad else 0,
    }


# ── exports ─────────────────────────────────────────────────────────────────
def time_download(browser: requests.Session, url: str) -> dict:
    began = time.perf_counter()
    first = None
    size = 0
    lines = 0
    with browser.get(url, stream=True, timeout=600) as response:
        response.raise_for_status()
        for chunk in response.iter_content(1 << 16):
            if first is None:
                first = time.perf_counter() - began
            size += len(chunk)
            lines += chunk.count(b"\n")
    total = time.perf_counter() - began
    result = {"first_byte_s": round(first or total, 3), "total_s": round(total, 2), "bytes": size}
    if url.endswith(".csv"):
        result["rows"] = lines - 1
        result["rows_per_s"] = round((lines - 1) / total)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", default="1,4", help="wrk connections; several, comma-separated, are run in turn")
    parser.add_argument("--keep", action="store_true", help="reuse the data set an earlier run loaded")
    parser.add_argument("--no-exports", action="store_true")
    args = parser.parse_args()

    levels = [int(c) for c in args.connections.split(",")]
    report: dict = {"connections": levels, "seconds_per_page": args.seconds}
    if not args.keep:
        reset_database(PG_URL)
        report["data"] = data.load(PG_URL, datetime.utcnow().replace(microsecond=0))
    env = app_env(
        PG_URL, REDIS_URL, WECHAT_APP_SECRET="", WECHAT_ENCODING_AES_KEY="", SECRET_KEY="bench-console", LOG_LEVEL="WARNING"
    )
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()

    bare, bare_port = serve("bench.bare_app:app", env, port=PORT)
    try:
        report["bare"] = {c: wrk(f"http://127.0.0.1:{bare_port}/healthz", args.seconds, c) for c in levels}
    finally:
        stop([bare])

    app, port = serve("wsgi:app", env, port=PORT + 1)
    base = f"http://127.0.0.1:{port}"
    try:
        results: dict = {c: {} for c in levels}
        for who, openid, scoped in (("admin", f"bench-{data.ADMIN_ID}", False), ("organizer", f"bench-{data.ORGANIZER_ID}", True)):
            browser = sign_in(base, openid)
            cookie = cookie_header(browser)
            for name, path in pages(scoped):
                warm = browser.get(base + path, timeout=60)  # the first request of a page builds its statements
                assert warm.status_code == 200, (path, warm.status_code)
                for c in levels:
                    results[c][f"{who}: {name}"] = result = wrk(base + path, args.seconds, c, cookie)
                    print(f"c={c} {who}: {name}: p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, {result['rps']}/s", flush=True)
            if not args.no_exports and not scoped:
                report["exports"] = {
                    "hours.csv (whole ledger)": time_download(browser, f"{base}/console/exports/hours.csv"),
                    "hours.xlsx (one year)": time_download(browser, f"{base}/console/exports/hours.xlsx?year={datetime.utcnow().year}"),
                }
        report["pages"] = results
        report["summary"] = {}
        for c in levels:
            worst = max(results[c].items(), key=lambda item: item[1]["p99_ms"])
            report["summary"][c] = {
                "bare_p99_ms": report["bare"][c]["p99_ms"],
                "worst_page": worst[0],
                "worst_p99_ms": worst[1]["p99_ms"],
                "pages_over_200ms_p99": [name for name, r in results[c].items() if r["p99_ms"] >= 200],
                "non_2xx": sum(r["non_2xx"] for r in results[c].values()),
            }
    finally:
        stop([app])
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
