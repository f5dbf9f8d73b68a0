"""The sandbox outbox: without an app secret, what the sender "sent" is readable here.

`GET /sandbox/outbox?openid=X&after=ID` → `{"messages": [{"id": notice id, "text": …}]}`,
for the chat simulator (`make chat`) to show pushed notices as a phone would. It
exists only in the sandbox (no WECHAT_APP_SECRET); otherwise it is a 404.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, request

from bot.domain import notices

bp = Blueprint("sandbox", __name__)


@bp.get("/sandbox/outbox")
def outbox() -> Response:
    services = current_app.extensions["bot"]
    if not services.settings.sandbox:
        abort(404)
    openid = request.args.get("openid", "")
    try:
        after = int(request.args.get("after", "0") or 0)
    except ValueError:
        abort(400)
    with services.db.session() as session:
        rows = notices.outbox(session, openid, after)
        return jsonify(messages=[{"id": n.id, "text": n.text} for n in rows])
