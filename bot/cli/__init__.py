"""The `flask --app wsgi …` commands, a module per group. Each prints what it did; errors exit non-zero."""

from __future__ import annotations

from flask import Flask

from bot.cli.chat import chat_command
from bot.cli.communities import communities_cli
from bot.cli.db import db_cli
from bot.cli.events import events_cli
from bot.cli.export import export_cli
from bot.cli.invite import invite_cli
from bot.cli.jobs import jobs_cli
from bot.cli.menu import menu_cli
from bot.cli.seed import seed_demo_command
from bot.cli.users import users_cli
from bot.cli.worker import worker_command

COMMANDS = (
    db_cli,
    seed_demo_command,
    communities_cli,
    events_cli,
    users_cli,
    invite_cli,
    worker_command,
    jobs_cli,
    chat_command,
    menu_cli,
    export_cli,
)


def register_cli(app: Flask) -> None:
    """Add every command group to the app's `flask` CLI."""
    for command in COMMANDS:
        app.cli.add_command(command)
