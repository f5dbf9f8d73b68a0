"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`. It starts the process, so it sets up logging."""

from bot.app import create_app
from bot.runtime import logs

app = create_app()
logs.configure(app.config["LOG_LEVEL"])
