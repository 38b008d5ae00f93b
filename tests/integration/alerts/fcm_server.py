"""A local stand-in for Google's side of FCM push: the OAuth 2 token endpoint (JWT-bearer
grant, the assertion's RS256 signature checked with the test service account's public key)
and the FCM HTTP v1 send endpoint (401 UNAUTHENTICATED for a token it did not issue or has
expired), with a service-account key whose `token_uri` points at it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.integration.alerts.servers import local_http

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLIENT_EMAIL = "vigil-push@vigil-site.iam.gserviceaccount.com"
# google-auth always addresses the assertion to Google's endpoint, whatever `token_uri` is
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"


@dataclass
class FcmServer:
    """`expires_in` is what the next issued token says; `expire(token)` makes the send
    endpoint refuse a token as Google does once its hour is up."""

    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    expires_in: int = 3600
    url: str = ""
    claims: list[dict[str, Any]] = field(default_factory=list)  # verified assertions
    rejected_grants: int = 0
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (token, message)
    refused: list[str] = field(default_factory=list)  # tokens answered 401
    send_paths: list[str] = field(default_factory=list)
    live: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    def service_account(self, project_id: str = "vigil-site") -> dict[str, str]:
        pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return {
            "type": "service_account",
            "project_id": project_id,
            "private_key_id": "k1",
            "private_key": pem,
            "client_email": CLIENT_EMAIL,
            "client_id": "1",
            "token_uri": self.token_uri,
        }

    def write_key(self, path: Path) -> Path:
        path.write_text(json.dumps(self.service_account()))
        return path

    def expire(self, token: str) -> None:
        with self.lock:
            self.live.discard(token)

    def issued(self) -> int:
        return len(self.claims)

    # -- endpoints ----------------------------------------------------------------------------

    def grant(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        if form.get("grant_type") != [JWT_BEARER] or len(form.get("assertion", [])) != 1:
            return 400, {"error": "unsupported_grant_type"}
        try:
            claims = jwt.decode(
                form["assertion"][0],
                self.key.public_key(),
                algorithms=["RS256"],
                audience=GOOGLE_TOKEN_AUDIENCE,
                issuer=CLIENT_EMAIL,
                options={"require": ["iat", "exp", "iss", "aud"]},
            )
        except jwt.InvalidTokenError as err:
            with self.lock:
                self.rejected_grants += 1
            return 400, {"error": "invalid_grant", "error_description": str(err)}
        if claims.get("scope") != FCM_SCOPE:
            return 400, {"error": "invalid_scope"}
        with self.lock:
            self.claims.append(claims)
            token = f"ya29.test-{len(self.claims)}"
            self.live.add(token)
        return 200, {"access_token": token, "expires_in": self.expires_in, "token_type": "Bearer"}

    def send(self, path: str, auth: str, body: bytes) -> tuple[int, dict[str, Any]]:
        token = auth.removeprefix("Bearer ")
        with self.lock:
            if not auth.startswith("Bearer ") or token not in self.live:
                self.refused.append(token)
                return 401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}}
            self.sent.append((token, json.loads(body)["message"]))
            self.send_paths.append(path)
        project = path.split("/")[3]
        return 200, {"name": f"projects/{project}/messages/{len(self.sent)}"}


def serve_fcm(server: FcmServer) -> Iterator[FcmServer]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path == "/token":
                status, answer = server.grant(parse_qs(body.decode()))
            elif self.path.startswith("/v1/projects/") and self.path.endswith("/messages:send"):
                status, answer = server.send(self.path, self.headers.get("Authorization", ""), body)
            else:
                status, answer = 404, {"error": "not found"}
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            return

    with local_http(Handler) as url:
        server.url = url
        yield server
