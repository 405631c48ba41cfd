"""A message over SMTP: one recipient, plain text, marked as automatic.

``Auto-Submitted: auto-generated`` (RFC 3834) keeps out-of-office replies from answering
every alert; the relay's refusal or silence is the caller's to retry.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from controller.alerts.digest import Digest
from controller.alerts.settings import SmtpSettings

__all__ = ["DeliveryFailed", "send_mail"]


class DeliveryFailed(Exception):
    """A channel did not take the message; the text says why (no secrets in it)."""


def message(smtp: SmtpSettings, to: str, digest: Digest) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = smtp.sender
    msg["To"] = to
    msg["Subject"] = digest.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=smtp.sender.rsplit("@", 1)[1])
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(digest.text)
    return msg


async def send_mail(smtp: SmtpSettings, to: str, digest: Digest) -> None:
    msg = message(smtp, to, digest)
    try:
        await aiosmtplib.send(
            msg,
            hostname=smtp.host,
            port=smtp.effective_port,
            username=smtp.username,
            password=smtp.password.get_secret_value() if smtp.password else None,
            use_tls=smtp.security == "tls",
            start_tls=smtp.security == "starttls",
            timeout=smtp.timeout_s,
        )
    except aiosmtplib.SMTPException as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}"[:500]) from None
    except (OSError, TimeoutError) as exc:
        raise DeliveryFailed(
            f"{smtp.host}:{smtp.effective_port}: {type(exc).__name__}: {exc}"[:500]
        ) from None
