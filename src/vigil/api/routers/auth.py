"""Sign in, refresh, sign out. The refresh token lives in an httpOnly cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Cookie, Request, Response

from vigil.api.deps import Services, client_ip
from vigil.api.schemas import ErrorBody, LoginRequest, LoginResponse, UserPublic
from vigil.api.security import ACCESS_TTL, REFRESH_TTL
from vigil.errors import AuthError

router = APIRouter(prefix="/auth", tags=["auth"])
REFRESH_COOKIE = "vigil_refresh"


def _set_refresh(response: Response, token: str, secure: bool) -> None:
    response.set_cookie(
        REFRESH_COOKIE,
        token,
        max_age=int(REFRESH_TTL.total_seconds()),
        httponly=True,
        secure=secure,
        samesite="strict",
        path="/api/v1/auth",
    )


@router.post("/login", responses={401: {"model": ErrorBody}})
async def login(
    body: LoginRequest, request: Request, response: Response, services: Services
) -> LoginResponse:
    ip = client_ip(request)
    try:
        user = await services.users.authenticate(body.username, body.password)
    except AuthError:
        await services.audit.record(
            "auth.login", actor=body.username[:150], ip=ip, outcome="failure"
        )
        raise
    role = user.role
    access, _ = services.keys.issue(str(user.id), user.username, role, "access")  # type: ignore[arg-type]
    refresh, _ = services.keys.issue(str(user.id), user.username, role, "refresh")  # type: ignore[arg-type]
    _set_refresh(response, refresh, services.secure_cookies)
    await services.audit.record("auth.login", actor=user.username, ip=ip, outcome="success")
    return LoginResponse(
        access_token=access,
        expires_in=int(ACCESS_TTL.total_seconds()),
        user=UserPublic(id=str(user.id), username=user.username, role=role),  # type: ignore[arg-type]
    )


@router.post("/refresh", responses={401: {"model": ErrorBody}})
async def refresh(
    response: Response,
    services: Services,
    vigil_refresh: Annotated[str | None, Cookie()] = None,
) -> LoginResponse:
    if not vigil_refresh:
        raise AuthError("no refresh cookie; sign in again")
    claims = services.keys.verify(vigil_refresh, "refresh")
    access, _ = services.keys.issue(claims.user_id, claims.username, claims.role, "access")
    new_refresh, _ = services.keys.issue(claims.user_id, claims.username, claims.role, "refresh")
    _set_refresh(response, new_refresh, services.secure_cookies)
    return LoginResponse(
        access_token=access,
        expires_in=int(ACCESS_TTL.total_seconds()),
        user=UserPublic(id=claims.user_id, username=claims.username, role=claims.role),
    )


@router.post("/logout", status_code=204)
async def logout(response: Response) -> None:
    response.delete_cookie(REFRESH_COOKIE, path="/api/v1/auth")
