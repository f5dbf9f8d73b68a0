"""`flask --app wsgi export …`: the hours ledger and the per-employer 双报到 summary."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import IO

import click
from flask import current_app
from flask.cli import AppGroup

from bot.domain import exports
from config import texts

export_cli = AppGroup("export", help="Exports of the hours ledger (CSV or XLSX).")

FORMATS = click.Choice(["csv", "xlsx"])


@contextmanager
def _output(path: str | None, fmt: str) -> Iterator[IO[bytes]]:
    """The binary stream to write to: the file, or standard output (through a temp file for XLSX, a zip)."""
    if path:
        with open(path, "wb") as handle:
            yield handle
        return
    sys.stdout.flush()
    stdout = sys.stdout.buffer
    if fmt == "csv":
        yield stdout
        stdout.flush()
        return
    with tempfile.TemporaryFile() as spool:
        yield spool
        spool.seek(0)
        shutil.copyfileobj(spool, stdout)
        stdout.flush()


def _write(path: str | None, fmt: str, header: tuple, rows: Iterable[tuple], widths: tuple, title: str, xlsx_row: Callable) -> int:
    with _output(path, fmt) as out:
        if fmt == "csv":
            return exports.write_csv(out, header, rows)
        return exports.write_xlsx(out, header, (xlsx_row(r) for r in rows), widths, title)


def _hours_cells(row: tuple) -> tuple:
    # In a spreadsheet the hours are numbers, so they can be summed.
    return (*row[:10], float(row[10]), *row[11:])


@export_cli.command("hours")
@click.option("--year", type=int, default=None, help="Only activities in this year (Asia/Shanghai)")
@click.option("--format", "fmt", type=FORMATS, default="csv", show_default=True)
@click.option("--out", "path", default=None, help="File to write; standard output when absent")
def export_hours(year: int | None, fmt: str, path: str | None) -> None:
    """One row per ledger entry (credits and corrections), with the Art. 7 fields."""
    services = current_app.extensions["bot"]
    export = exports.HoursExport(services.db, year, services.settings.ORG_NAME)
    if fmt == "csv":
        # The fast path: each person's and activity's columns are rendered as CSV once.
        with _output(path, fmt) as out:
            exports.write_csv_chunks(out, texts.EXPORT_HOURS_HEADER, export.csv_chunks())
        return
    _write(path, fmt, texts.EXPORT_HOURS_HEADER, export.rows(), exports.HOURS_WIDTHS, "hours", _hours_cells)


@export_cli.command("employers")
@click.option("--quarter", required=True, help="The quarter, e.g. 2026Q4 (Asia/Shanghai)")
@click.option("--format", "fmt", type=FORMATS, default="csv", show_default=True)
@click.option("--out", "path", default=None, help="File to write; standard output when absent")
def export_employers(quarter: str, fmt: str, path: str | None) -> None:
    """Per employer: in-service party members, how many served, services and hours in the quarter (双报到)."""
    try:
        year, number = exports.parse_quarter(quarter)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--quarter") from exc
    services = current_app.extensions["bot"]
    totals = exports.employer_totals(services.db, year, number)
    rows = exports.employer_rows(totals)

    def cells(row: tuple) -> tuple:
        return (*row[:4], float(row[4]))

    count = _write(path, fmt, texts.EXPORT_EMPLOYERS_HEADER, rows, exports.EMPLOYER_WIDTHS, quarter.upper(), cells)
    if path:
        click.echo(f"{count} employers written to {path}", err=True)
