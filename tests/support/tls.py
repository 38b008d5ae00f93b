"""A self-signed certificate for test servers on loopback (TLS hub, SMTP with STARTTLS)."""

from vigil.ops.tls import self_signed

__all__ = ["self_signed"]
