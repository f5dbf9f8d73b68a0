"""`make run` as a person runs it: serve, then Ctrl-C in the terminal stops everything it started.

Ctrl-C signals the terminal's whole foreground group; the test does the same (SIGINT to
the group `make run` leads). Every process it started must be gone and the port free, so
that the next `make run` can serve.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serving(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _port_free(port: int) -> bool:
    """Free for the next server: bound as gunicorn binds (SO_REUSEADDR: closed connections waiting out TIME_WAIT do not count)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _descendants(pid: int) -> set[int]:
    """Every live process started, directly or not, by `pid` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def make_run(test_env, tmp_path):  # type: ignore[no-untyped-def]
    """`make run` serving on a free port; yields (its process, the port, every process it started)."""
    port = _free_port()
    env = {**os.environ, **test_env, "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}"}
    run = subprocess.Popen(
        [sys.executable, "-m", "bot.runtime.devrun", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # a terminal's foreground group of its own
    )
    started: set[int] = set()
    try:
        wait_for(lambda: _serving(port), timeout=120)
        started |= _descendants(run.pid)
        assert len(started) >= 4  # the worker, gunicorn's master and its two workers, at least
        yield run, port, started
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
        for pid in started:  # reparented once make run is gone: killed by the ids seen
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_ctrl_c_stops_everything_make_run_started_and_frees_the_port(make_run):
    run, port, started = make_run
    os.killpg(run.pid, signal.SIGINT)  # Ctrl-C
    assert run.wait(timeout=30) == 0
    wait_for(lambda: not any(_alive(pid) for pid in started), timeout=30)
    assert _port_free(port)


def test_make_run_killed_without_cleaning_up_leaves_nothing_serving(make_run):
    run, port, started = make_run
    run.kill()  # SIGKILL to make run alone (its terminal closed, an OOM kill): no chance to stop its children
    run.wait(timeout=10)
    wait_for(lambda: not any(_alive(pid) for pid in started), timeout=30)
    assert _port_free(port)
