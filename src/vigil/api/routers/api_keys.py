"""API keys (admin only): create (the key is shown once), list, revoke."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import Field

from vigil.api.deps import Admin, Services, client_ip
from vigil.api.schemas import ErrorBody, Input
from vigil.auth.api_keys import ApiKeyRecord
from vigil.auth.security import Role

router = APIRouter(prefix="/api-keys", tags=["api-keys"])


@dataclass(frozen=True, slots=True)
class ApiKeyCreated(ApiKeyRecord):
    """The new key's record plus `key` itself, shown only now: store it safely."""

    key: str


class ApiKeyCreate(Input):
    name: str = Field(min_length=1, max_length=100, examples=["edge site-12"])
    role: Role = "operator"


@router.post("", status_code=201)
async def create_key(
    body: ApiKeyCreate, request: Request, services: Services, admin: Admin
) -> ApiKeyCreated:
    record, key = await services.api_keys.create(body.name, body.role, admin.username)
    await services.audit.record(
        "api_keys.create",
        actor=admin.username,
        ip=client_ip(request),
        outcome="success",
        resource=f"api-keys/{record.id}",
        details={"name": body.name, "role": body.role},
    )
    return ApiKeyCreated(**asdict(record), key=key)


@router.get("")
async def list_keys(services: Services, _admin: Admin) -> list[ApiKeyRecord]:
    return await services.api_keys.all()


@router.delete("/{key_id}", responses={404: {"model": ErrorBody}})
async def revoke_key(
    key_id: Annotated[str, Path(max_length=64)], request: Request, services: Services, admin: Admin
) -> ApiKeyRecord:
    record = await services.api_keys.revoke(key_id)
    await services.audit.record(
        "api_keys.revoke",
        actor=admin.username,
        ip=client_ip(request),
        outcome="success",
        resource=f"api-keys/{key_id}",
    )
    return record
