"""The baseline for bench/webhook.py: a bare Flask endpoint that only answers `success`.

Served exactly as the bot is (same gunicorn workers and threads), so the ratio of the
two throughputs is what the bot's own work costs.
"""

from flask import Flask

app = Flask(__name__)


@app.post("/wechat")
def wechat() -> str:
    return "success"


@app.get("/healthz")
def healthz() -> str:
    return "ok"
