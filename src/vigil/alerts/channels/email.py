"""Email over SMTP with STARTTLS: an HTML body and the snapshot attached."""

from __future__ import annotations

import html
import ssl
from email.message import EmailMessage

import aiosmtplib

from vigil.alerts.channels.base import DeliveryError, Message
from vigil.config.alerts import EmailChannel


def render(message: Message, sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    mail.set_content(message.text)
    rows = message.alerts or ((message.alert,) if message.alert else ())
    items = "".join(
        f"<tr><td>{html.escape(str(a.get('severity')))}</td><td>{html.escape(str(a.get('title')))}"
        f"</td><td>{html.escape(str(a.get('created_at')))}</td></tr>"
        for a in rows
        if a
    )
    image = '<p><img src="cid:snapshot" alt="snapshot"></p>' if message.snapshot_jpeg else ""
    mail.add_alternative(
        f"<html><body><h2>{html.escape(message.subject)}</h2>"
        f"<p>{html.escape(message.text)}</p><table>{items}</table>{image}</body></html>",
        subtype="html",
    )
    if message.snapshot_jpeg:
        mail.add_attachment(
            message.snapshot_jpeg,
            maintype="image",
            subtype="jpeg",
            filename="snapshot.jpg",
            cid="<snapshot>",
        )
    return mail


class EmailSender:
    name = "email"

    def __init__(self, cfg: EmailChannel) -> None:
        self._cfg = cfg

    async def send(self, message: Message) -> None:
        cfg = self._cfg
        context = ssl.create_default_context()
        if not cfg.validate_certs:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        try:
            await aiosmtplib.send(
                render(message, cfg.sender),
                hostname=cfg.host,
                port=cfg.port,
                start_tls=cfg.starttls,
                tls_context=context,
                username=cfg.username,
                password=cfg.password.get_secret_value() if cfg.password else None,
                timeout=cfg.timeout_s,
            )
        except (aiosmtplib.SMTPException, OSError) as err:
            raise DeliveryError(f"email: {type(err).__name__} {err}") from err

    async def close(self) -> None:
        return None
