"""Sign in, refresh, sign out, two-factor enrolment. The refresh token lives in an httpOnly
cookie; cookie-authenticated calls need the `X-Requested-With` header (CSRF protection)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Cookie, Request, Response
from pydantic import BaseModel, Field

from vigil.api.deps import CurrentUser, Services, client_ip
from vigil.api.schemas import ErrorBody, Input, LoginRequest, LoginResponse, UserPublic
from vigil.api.ws import access_changed
from vigil.auth.security import REFRESH_TTL
from vigil.auth.sessions import RefreshReuseError, Tokens
from vigil.auth.users import MfaRequiredError
from vigil.errors import AuthError, PermissionDeniedError

router = APIRouter(prefix="/auth", tags=["auth"])
REFRESH_COOKIE = "vigil_refresh"
COOKIE_PATH = "/api/v1/auth"
CSRF_HEADER = "x-requested-with"


def _set_refresh(response: Response, token: str, secure: bool) -> None:
    response.set_cookie(
        REFRESH_COOKIE,
        token,
        max_age=int(REFRESH_TTL.total_seconds()),
        httponly=True,
        secure=secure,
        samesite="strict",
        path=COOKIE_PATH,
    )


def _require_csrf_header(request: Request) -> None:
    if not request.headers.get(CSRF_HEADER):
        raise PermissionDeniedError(
            "missing X-Requested-With header (required on cookie-authenticated calls)"
        )


def _body(tokens: Tokens) -> LoginResponse:
    return LoginResponse(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in_s,
        user=UserPublic(id=tokens.user_id, username=tokens.username, role=tokens.role),
        mfa_enrollment_required=tokens.mfa_enrollment_required,
    )


@router.post("/login", responses={401: {"model": ErrorBody}})
async def login(
    body: LoginRequest, request: Request, response: Response, services: Services
) -> LoginResponse:
    """Password (and, for accounts with two-factor sign-in, `otp`) for tokens."""
    ip = client_ip(request)
    try:
        user = await services.users.authenticate(body.username, body.password, body.otp)
    except MfaRequiredError:
        raise
    except AuthError:
        await services.audit.record(
            "auth.login", actor=body.username[:150], ip=ip, outcome="failure"
        )
        raise
    tokens = await services.sessions.start(user)
    _set_refresh(response, tokens.refresh_token, services.secure_cookies)
    await services.audit.record(
        "auth.login",
        actor=user.username,
        ip=ip,
        outcome="success",
        details={"mfa": user.mfa_enabled},
    )
    return _body(tokens)


@router.post("/refresh", responses={401: {"model": ErrorBody}})
async def refresh(
    request: Request,
    response: Response,
    services: Services,
    vigil_refresh: Annotated[str | None, Cookie()] = None,
) -> LoginResponse:
    """A new access token for the refresh cookie; the cookie is rotated (single use)."""
    _require_csrf_header(request)
    if not vigil_refresh:
        raise AuthError("no refresh cookie; sign in again")
    try:
        tokens = await services.sessions.refresh(vigil_refresh)
    except RefreshReuseError:
        await services.audit.record(
            "auth.refresh_reuse", actor=None, ip=client_ip(request), outcome="denied"
        )
        response.delete_cookie(REFRESH_COOKIE, path=COOKIE_PATH)
        access_changed(request)  # the family's open alert sockets close now
        raise
    _set_refresh(response, tokens.refresh_token, services.secure_cookies)
    return _body(tokens)


@router.post("/logout", status_code=204)
async def logout(
    request: Request,
    response: Response,
    services: Services,
    vigil_refresh: Annotated[str | None, Cookie()] = None,
) -> None:
    """End the session: the refresh cookie's whole family is revoked."""
    _require_csrf_header(request)
    if vigil_refresh:
        await services.sessions.end(vigil_refresh)
        access_changed(request)
    response.delete_cookie(REFRESH_COOKIE, path=COOKIE_PATH)


class MfaEnrollmentPublic(BaseModel):
    secret: str = Field(description="Base32 secret, for typing into an authenticator app.")
    otpauth_uri: str
    qr_svg: str = Field(description="The otpauth URI as an SVG QR code.")


class MfaConfirm(Input):
    code: str = Field(min_length=6, max_length=8, examples=["123456"])


class RecoveryCodes(BaseModel):
    recovery_codes: list[str] = Field(description="One-time codes; shown only now.")


@router.post("/mfa/enroll")
async def mfa_enroll(
    request: Request, services: Services, user: CurrentUser
) -> MfaEnrollmentPublic:
    """Start two-factor enrolment for the signed-in user: a new TOTP secret and its QR code."""
    if user.kind != "user":
        raise PermissionDeniedError("API keys have no two-factor sign-in")
    enrollment = await services.users.begin_mfa(user.id)
    await services.audit.record(
        "auth.mfa_enroll", actor=user.username, ip=client_ip(request), outcome="success"
    )
    return MfaEnrollmentPublic(
        secret=enrollment.secret, otpauth_uri=enrollment.otpauth_uri, qr_svg=enrollment.qr_svg
    )


@router.post("/mfa/confirm", responses={400: {"model": ErrorBody}})
async def mfa_confirm(
    body: MfaConfirm, request: Request, services: Services, user: CurrentUser
) -> RecoveryCodes:
    """Turn two-factor sign-in on with a code from the app; returns recovery codes once."""
    codes = await services.users.confirm_mfa(user.id, body.code)
    await services.audit.record(
        "auth.mfa_confirm", actor=user.username, ip=client_ip(request), outcome="success"
    )
    return RecoveryCodes(recovery_codes=codes)
