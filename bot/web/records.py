"""Web pages for records: the printable certificate, its verification, and check-in QR images.

- `/records/<token>`: the certificate (志愿服务记录证明) of the person the signed
  token names, as the ledger stood when `证明` was said; A4 print CSS.
- `/verify/<code>`: what a verification code certifies (holder, total, issue date,
  the activities), or that it is not ours.
- `/qr/checkin/<token>.png`: the check-in QR the bot draws itself (sandbox).
"""

from __future__ import annotations

import base64
from datetime import datetime

from flask import Blueprint, Response, abort, current_app, render_template

from bot.domain import certificates, checkin_codes
from bot.domain.timefmt import fmt_hours, to_local
from bot.storage.models import Resident
from bot.web.qrimage import png
from config import texts

bp = Blueprint("records", __name__, template_folder="templates")


def _services():  # type: ignore[no-untyped-def]
    return current_app.extensions["bot"]


def _date_cn(moment: datetime) -> str:
    local = to_local(moment)
    return texts.DATE_CN.format(year=local.year, month=local.month, day=local.day)


def _private(response: Response) -> Response:
    # Personal records: never kept by a shared cache, never indexed.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _page_footer(template: str, certificate: certificates.Certificate) -> list[str]:
    """The printed page footer as the CSS strings around `counter(page)` and `counter(pages)`."""
    text = template.replace("{page}", "\0").replace("{pages}", "\1")
    text = text.format(name=certificate.name, volunteer_no=certificate.volunteer_no)
    text = text.replace('"', "").replace("\\", "")  # it goes into CSS strings
    before, rest = text.split("\0")
    middle, after = rest.split("\1")
    return [before, middle, after]


@bp.get("/records/<token>")
def certificate_page(token: str) -> Response:
    """The printable certificate; a forged, edited or expired link gets a 404 page."""
    services = _services()
    settings = services.settings
    try:
        resident_id, issued_at = certificates.read_link(settings.SECRET_KEY, token)
    except certificates.InvalidCertificate:
        page = render_template("records/invalid.html", t=texts.CERTIFICATE_PAGE)
        return _private(Response(page, status=404, mimetype="text/html"))
    with services.db.transaction() as session:
        certificate = certificates.build(session, resident_id, issued_at, settings.ORG_NAME)
    if certificate is None or not certificate.lines:
        page = render_template("records/invalid.html", t=texts.CERTIFICATE_PAGE)
        return _private(Response(page, status=404, mimetype="text/html"))
    code = certificates.verification_code(settings.SECRET_KEY, certificate)
    verify_url = f"{settings.PUBLIC_BASE_URL.rstrip('/')}/verify/{code}"
    qr = base64.b64encode(png(verify_url, box_size=4)).decode()
    dates = [line.date for line in certificate.lines]
    t = texts.CERTIFICATE_PAGE
    page = render_template(
        "records/certificate.html",
        t=t,
        certificate=certificate,
        statement=t["statement"].format(
            name=certificate.name,
            volunteer_no=certificate.volunteer_no,
            first=min(dates),
            last=max(dates),
            count=len(certificate.lines),
            total=fmt_hours(certificate.total),
        ),
        fmt_hours=fmt_hours,
        org=settings.ORG_NAME,
        issued=_date_cn(certificate.issued_at),
        code=code,
        verify_url=verify_url,
        qr=qr,
        page_footer=_page_footer(t["page_footer"], certificate),
    )
    return _private(Response(page, mimetype="text/html"))


@bp.get("/verify/<code>")
def verify_page(code: str) -> Response:
    """Anyone may check a certificate's code: 200 with what it certifies, or 404 when it is not ours."""
    services = _services()
    settings = services.settings
    t = texts.VERIFY_PAGE
    try:
        verified = certificates.read_code(settings.SECRET_KEY, code)
    except certificates.InvalidCertificate:
        return _private(Response(render_template("records/verify.html", t=t, valid=False), status=404, mimetype="text/html"))
    with services.db.transaction() as session:
        certificate = certificates.build(session, verified.resident_id, verified.issued_at, settings.ORG_NAME)
        current = certificates.current_total(session, verified.resident_id)
        resident = session.get(Resident, verified.resident_id)
        erased = resident is not None and resident.erased_at is not None
    if certificate is None:
        return _private(Response(render_template("records/verify.html", t=t, valid=False), status=404, mimetype="text/html"))
    # The code carries the total it was issued with; the append-only ledger must still agree.
    consistent = certificate.total == verified.total
    changed = current != certificate.total
    page = render_template(
        "records/verify.html",
        t=t,
        valid=consistent,
        certificate=certificate,
        total=fmt_hours(verified.total),
        issued=_date_cn(verified.issued_at),
        org=settings.ORG_NAME,
        erased=erased,
        changed=t["changed"].format(current=fmt_hours(current)) if changed else "",
        fmt_hours=fmt_hours,
    )
    return _private(Response(page, status=200 if consistent else 404, mimetype="text/html"))


@bp.get("/qr/checkin/<token>.png")
def checkin_qr_image(token: str) -> Response:
    """The check-in QR the bot draws (no app secret): it carries the scene `checkin:<id>`."""
    activity_id = checkin_codes.read_drawn_token(_services().settings.SECRET_KEY, token)
    if activity_id is None:
        abort(404)
    response = Response(png(checkin_codes.scene(activity_id), box_size=20), mimetype="image/png")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
