"""Training jobs: evaluate the current detector on the labelled samples, or export them as a
COCO dataset. Fine-tuning itself runs outside the box, on an exported dataset.

Listing and reading need a signed-in user (as training samples do); creating and cancelling
need an admin, and are audited.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from vigil.api.deps import Admin, CurrentUser, Services, audit_success, client_ip
from vigil.api.schemas import ErrorBody, Input
from vigil.db.tables import JobKind
from vigil.errors import VigilError
from vigil.training.jobs import JobRecord, TrainingJobs
from vigil.training.samples import BUCKET

router = APIRouter(prefix="/training/jobs", tags=["training"])
JobStatusName = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class TrainingUnavailableError(VigilError):
    status_code = 503


class FinetuneNotHereError(VigilError):
    status_code = 422


class JobIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"kind": "evaluate"}]})

    kind: Literal["evaluate", "export_dataset", "finetune"] = Field(
        description="evaluate: precision, recall and mAP@0.5 of the current detector on the "
        "labelled samples; export_dataset: a COCO zip of the samples (GET …/artifact); "
        "finetune: refused here (422): fine-tuning runs outside the box on an exported dataset."
    )


class JobOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "9a4e2c1d-1b9f-4c3b-8d3e-0f2a6b7c8d9e",
                    "kind": "evaluate",
                    "status": "succeeded",
                    "progress": 1.0,
                    "params": {},
                    "result": {"images": 40, "precision": 0.81, "recall": 0.62, "map50": 0.58},
                    "error": None,
                    "artifact_url": None,
                    "created_by": "admin",
                    "created_at": "2026-11-02T18:00:00Z",
                    "started_at": "2026-11-02T18:00:01Z",
                    "finished_at": "2026-11-02T18:00:09Z",
                }
            ]
        }
    )

    id: str
    kind: Literal["evaluate", "export_dataset"]
    status: JobStatusName
    progress: float = Field(ge=0.0, le=1.0)
    params: dict[str, Any]
    result: dict[str, Any] | None = Field(
        description="evaluate: images, precision, recall, map50, classes{ap50, …}; "
        "export_dataset: images, annotations, categories, size_bytes."
    )
    error: str | None
    artifact_url: str | None
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def _jobs(services: Services) -> TrainingJobs:
    if services.training is None:
        raise TrainingUnavailableError("training jobs are not available here")
    return services.training


def _out(record: JobRecord) -> JobOut:
    return JobOut(
        id=record.id,
        kind=record.kind,  # type: ignore[arg-type]  # CHECK constraint: a JobKind
        status=record.status,  # type: ignore[arg-type]  # CHECK constraint: a JobStatus
        progress=record.progress,
        params=record.params,
        result=record.result,
        error=record.error,
        artifact_url=(
            f"/api/v1/training/jobs/{record.id}/artifact" if record.has_artifact else None
        ),
        created_by=record.created_by,
        created_at=record.created_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
    )


@router.get("")
async def list_jobs(
    services: Services,
    _user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[JobOut]:
    """Newest first."""
    return [_out(r) for r in await asyncio.to_thread(_jobs(services).all, limit)]


@router.post("", status_code=201, responses={422: {"model": ErrorBody}})
async def create_job(body: JobIn, request: Request, services: Services, admin: Admin) -> JobOut:
    """Queue a job; it runs in the background (poll GET …/{id} for status and progress)."""
    jobs = _jobs(services)
    if body.kind == "finetune":
        await services.audit.record(
            "training.jobs.create",
            actor=admin.username,
            ip=client_ip(request),
            outcome="failure",
            details={"kind": body.kind, "reason": "not supported on this box"},
        )
        raise FinetuneNotHereError(
            "kind: finetune is not run on this box (it has no training framework); create an "
            "export_dataset job, download its COCO zip from …/artifact and fine-tune elsewhere"
        )
    record = await jobs.create(JobKind(body.kind), {}, admin.username)
    await audit_success(
        services,
        request,
        admin,
        "training.jobs.create",
        f"training/jobs/{record.id}",
        {"kind": body.kind},
    )
    return _out(record)


@router.get("/{job_id}", responses={404: {"model": ErrorBody}})
async def get_job(job_id: uuid.UUID, services: Services, _user: CurrentUser) -> JobOut:
    return _out(await asyncio.to_thread(_jobs(services).get, str(job_id)))


@router.post("/{job_id}/cancel", responses={404: {"model": ErrorBody}, 409: {"model": ErrorBody}})
async def cancel_job(
    job_id: uuid.UUID, request: Request, services: Services, admin: Admin
) -> JobOut:
    """Cancel a queued or running job (a running one stops after its current sample); 409
    when it has already finished."""
    record = await _jobs(services).cancel(str(job_id))
    await audit_success(services, request, admin, "training.jobs.cancel", f"training/jobs/{job_id}")
    return _out(record)


@router.get(
    "/{job_id}/artifact",
    response_class=Response,
    responses={
        200: {"content": {"application/zip": {}}, "description": "The COCO dataset zip"},
        404: {"model": ErrorBody},
        409: {"model": ErrorBody},
    },
)
async def job_artifact(job_id: uuid.UUID, services: Services, _user: CurrentUser) -> Response:
    """An export_dataset job's COCO zip (annotations.json + images/)."""
    key, filename = await asyncio.to_thread(_jobs(services).artifact, str(job_id))
    path = services.store.local_path(BUCKET, key)
    if path is not None:  # the filesystem store: streamed, never held in memory
        return FileResponse(path, media_type="application/zip", filename=filename)
    data = await asyncio.to_thread(services.store.get_bytes, BUCKET, key)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
