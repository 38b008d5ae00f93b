"""Users (admin only): create, list, read, change role/password/cameras, disable, delete."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from vigil.api.deps import Admin, CurrentUser, Services, client_ip
from vigil.api.schemas import ErrorBody, Input
from vigil.api.ws import access_changed
from vigil.auth.security import Role
from vigil.auth.users import UserRecord
from vigil.errors import VigilError

router = APIRouter(prefix="/users", tags=["users"])
Username = Annotated[str, Field(pattern=r"^[A-Za-z0-9._@-]{1,150}$", examples=["night.guard"])]
Password = Annotated[str, Field(min_length=12, max_length=1024)]


class UnknownCameraError(VigilError):
    status_code = 422


class UserOut(BaseModel):
    id: str
    username: str
    role: Role
    is_active: bool
    mfa_enabled: bool
    cameras: list[str] | None = Field(description="Cameras the user may see; null: all.")


class UserCreate(Input):
    username: Username
    password: Password
    role: Role
    cameras: list[str] | None = None


class UserUpdate(Input):
    role: Role | None = None
    password: Password | None = None
    is_active: bool | None = None
    cameras: list[str] | None = Field(
        None, description="Replace the camera scope; [] or null with all_cameras: every camera."
    )
    all_cameras: bool = False
    reset_mfa: bool = False


def _out(record: UserRecord) -> UserOut:
    return UserOut(
        id=record.id,
        username=record.username,
        role=record.role,
        is_active=record.is_active,
        mfa_enabled=record.mfa_enabled,
        cameras=record.cameras,
    )


def _check_cameras(services: Services, cameras: list[str] | None) -> None:
    known = {c.id for c in services.config.cameras}
    for i, camera_id in enumerate(cameras or []):
        if camera_id not in known:
            raise UnknownCameraError(f"cameras[{i}]: unknown camera {camera_id!r}")


@router.get("/me")
async def me(services: Services, user: CurrentUser) -> UserOut:
    """The signed-in user (any role)."""
    return _out(await services.users.get(user.id))


@router.get("")
async def list_users(services: Services, _admin: Admin) -> list[UserOut]:
    return [_out(u) for u in await services.users.all()]


@router.post("", status_code=201, responses={409: {"model": ErrorBody}})
async def create_user(
    body: UserCreate, request: Request, services: Services, admin: Admin
) -> UserOut:
    _check_cameras(services, body.cameras)
    user_id = await asyncio.to_thread(
        services.users.create, body.username, body.password, body.role, body.cameras
    )
    await services.audit.record(
        "users.create",
        actor=admin.username,
        ip=client_ip(request),
        outcome="success",
        resource=f"users/{user_id}",
        details={"username": body.username, "role": body.role},
    )
    return _out(await services.users.get(str(user_id)))


@router.get("/{user_id}", responses={404: {"model": ErrorBody}})
async def get_user(
    user_id: Annotated[str, Path(max_length=64)], services: Services, _admin: Admin
) -> UserOut:
    return _out(await services.users.get(user_id))


@router.patch("/{user_id}", responses={404: {"model": ErrorBody}, 409: {"model": ErrorBody}})
async def update_user(
    user_id: Annotated[str, Path(max_length=64)],
    body: UserUpdate,
    request: Request,
    services: Services,
    admin: Admin,
) -> UserOut:
    _check_cameras(services, body.cameras)
    record = await services.users.update(
        user_id,
        role=body.role,
        password=body.password,
        is_active=body.is_active,
        cameras=body.cameras,
        clear_cameras=body.all_cameras,
        reset_mfa=body.reset_mfa,
    )
    access_changed(request)  # open alert sockets of this user follow the change now
    changed = sorted(body.model_dump(exclude_unset=True, exclude={"password"}))
    await services.audit.record(
        "users.update",
        actor=admin.username,
        ip=client_ip(request),
        outcome="success",
        resource=f"users/{user_id}",
        details={"changed": changed, "password_changed": body.password is not None},
    )
    return _out(record)


@router.delete(
    "/{user_id}", status_code=204, responses={404: {"model": ErrorBody}, 409: {"model": ErrorBody}}
)
async def delete_user(
    user_id: Annotated[str, Path(max_length=64)], request: Request, services: Services, admin: Admin
) -> None:
    await services.users.delete(user_id)
    access_changed(request)
    await services.audit.record(
        "users.delete",
        actor=admin.username,
        ip=client_ip(request),
        outcome="success",
        resource=f"users/{user_id}",
    )
