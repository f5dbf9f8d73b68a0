"""`make test`: the suite on SQLite, then on PostgreSQL, against a real Redis.

Without CI, a missing PostgreSQL skips that leg (and says so) and a missing Redis is
replaced by an embedded one. With CI=true both legs and Redis are required.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.runtime.embedded_redis import ensure_redis, reachable

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/volunteer_test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def postgres_reachable(url: str) -> bool:
    engine = create_engine(make_url(url).set(database="postgres"), connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


# What the console's browser tests need from Debian (never Playwright's own browser download).
BROWSER_PACKAGES = ("chromium-headless-shell", "fonts-wqy-microhei", "poppler-utils")
CHROMIUM = "/usr/bin/chromium-headless-shell"


def ensure_browser() -> bool:
    """Install Chromium, a Chinese font and poppler with apt-get when missing (as root); True when ready.

    Without them the browser tests skip saying why, or fail when CI=true.
    """
    if os.path.exists(CHROMIUM) and shutil.which("pdftotext"):
        return True
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print(f"browser tests: {CHROMIUM} missing and not root; run `apt-get install -y {' '.join(BROWSER_PACKAGES)}`")
        return False
    print("browser tests: installing " + ", ".join(BROWSER_PACKAGES), flush=True)
    quiet = {"stdout": subprocess.DEVNULL, "env": {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *BROWSER_PACKAGES]
    if subprocess.call(install, **quiet) != 0:
        subprocess.call(["apt-get", "update", "-q"], **quiet)
        subprocess.call(install, **quiet)
    return os.path.exists(CHROMIUM)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args, pytest_args = parser.parse_known_args()

    redis_url = REDIS_URL
    if not reachable(redis_url):
        if IN_CI:
            print(f"Redis at {redis_url} is not reachable and CI=true: failing.", file=sys.stderr)
            return 3
        redis_url = ensure_redis(redis_url)

    if not ensure_browser() and IN_CI:
        print("Chromium for the console's browser tests could not be installed and CI=true: failing.", file=sys.stderr)
        return 3

    legs = []
    if args.only != "postgresql":
        default_sqlite = "sqlite:///" + os.path.join(os.getcwd(), "instance", "test.db")
        legs.append(("sqlite", os.environ.get("TEST_SQLITE_URL", default_sqlite)))
    if args.only != "sqlite":
        if postgres_reachable(PG_URL):
            legs.append(("postgresql", PG_URL))
        elif IN_CI or args.only == "postgresql":
            print(f"PostgreSQL at {PG_URL} is not reachable: failing.", file=sys.stderr)
            return 3
        else:
            print(f"PostgreSQL at {PG_URL} is not reachable: skipping the PostgreSQL leg.")

    failed = []
    for name, url in legs:
        print(f"\n=== test suite on {name} ===", flush=True)
        env = {**os.environ, "TEST_DATABASE_URL": url, "TEST_REDIS_URL": redis_url}
        code = subprocess.call([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *pytest_args], env=env)
        if code != 0:
            failed.append(f"{name} (exit {code})")
    if failed:
        print("\nFAILED legs: " + ", ".join(failed), file=sys.stderr)
        return 1
    print("\nAll legs passed: " + ", ".join(n for n, _ in legs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
