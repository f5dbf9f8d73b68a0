"""QR codes the bot draws itself, as PNG: the sandbox's check-in QR and the certificate's verification link."""

from __future__ import annotations

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M


def png(text: str, box_size: int = 10) -> bytes:
    """A QR code carrying `text`, as PNG bytes."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=4)
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()
