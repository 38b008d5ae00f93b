"""Training jobs: background work over the labelled samples, with state in `training_jobs`.

Kinds this box runs (there is no training framework here):

* `evaluate`: the current detector over the samples; precision, recall and mAP@0.5.
* `export_dataset`: a COCO-format zip of the samples in the training-data store, the input of
  a fine-tuning run elsewhere.

A job goes queued -> running -> succeeded | failed | cancelled. Its progress (0..1) is written
as it goes; a cancel is noticed between two samples. Jobs run one at a time, in a worker
thread, so a job never takes more than one core from detection. A job that was queued or
running when the process stopped is marked failed when the service next starts.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from vigil.clock import Clock
from vigil.config import SiteConfig
from vigil.db.session import Database, row_by_id
from vigil.db.tables import JobKind, JobStatus, TrainingJob
from vigil.errors import ConflictError, NotFoundError, VigilError, public_text
from vigil.model.detections import Detections
from vigil.storage import ObjectStore
from vigil.training.evaluate import evaluate
from vigil.training.export import write_coco_zip
from vigil.training.samples import BUCKET, Sample, iter_samples, sample_keys
from vigil.vision.detectors.base import Detector, load_detector

log = logging.getLogger(__name__)
FINISHED = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})
#: Score floor of the detector used for evaluation: low, so the AP curve sees weak hits too.
EVAL_FLOOR = 0.05


class JobCancelledError(VigilError):
    status_code = 409


@dataclass(frozen=True, slots=True)
class JobRecord:
    id: str
    kind: str
    status: str
    progress: float
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    has_artifact: bool
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def _record(row: TrainingJob) -> JobRecord:
    return JobRecord(
        id=str(row.id),
        kind=row.kind,
        status=row.status,
        progress=row.progress,
        params=dict(row.params or {}),
        result=row.result,
        error=row.error,
        has_artifact=row.artifact_key is not None,
        created_by=row.created_by,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


class TrainingJobs:
    """Creates, runs, cancels and reports jobs. `detector(floor)` builds the site's current
    detector with that score floor; `min_confidence` is its operating threshold."""

    def __init__(
        self,
        db: Database,
        store: ObjectStore,
        clock: Clock,
        *,
        detector: Callable[[float], Detector],
        min_confidence: float,
    ) -> None:
        self._db = db
        self._store = store
        self._clock = clock
        self._detector = detector
        self._min_confidence = min_confidence
        self._cancel: dict[str, threading.Event] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._one_at_a_time: asyncio.Lock | None = None
        self._recovered = False

    # -- queries ------------------------------------------------------------------------

    def all(self, limit: int) -> list[JobRecord]:
        self._recover()
        with self._db.session() as session:
            rows = session.scalars(
                select(TrainingJob).order_by(TrainingJob.created_at.desc()).limit(limit)
            ).all()
            return [_record(r) for r in rows]

    def get(self, job_id: str) -> JobRecord:
        self._recover()
        with self._db.session() as session:
            return _record(self._row(session, job_id))

    def artifact(self, job_id: str) -> tuple[str, str]:
        """The job's artifact: (key in the training-data bucket, download file name); 404 when
        it has none, 409 while an export is still being written."""
        with self._db.session() as session:
            row = self._row(session, job_id)
            if row.artifact_key is None:
                if row.status in FINISHED or row.kind != JobKind.EXPORT_DATASET:
                    raise NotFoundError(f"training job {job_id} has no artifact")
                raise ConflictError(f"training job {job_id} is {row.status}; try when it is done")
            return row.artifact_key, f"vigil-dataset-{job_id}.zip"

    # -- changes --------------------------------------------------------------------------

    async def create(self, kind: JobKind, params: dict[str, Any], actor: str) -> JobRecord:
        """Queue a job and start it in the background."""
        await asyncio.to_thread(self._recover)
        job_id = uuid.uuid4()
        record = await asyncio.to_thread(self._insert, job_id, kind, params, actor)
        self._cancel[str(job_id)] = threading.Event()
        task = asyncio.create_task(self._run(str(job_id), kind), name=f"training-job-{job_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return record

    async def cancel(self, job_id: str) -> JobRecord:
        return await asyncio.to_thread(self._request_cancel, job_id)

    async def stop(self) -> None:
        """Cancel running jobs (process shutdown); they end as cancelled."""
        for event in self._cancel.values():
            event.set()
        for task in list(self._tasks):
            await asyncio.wait([task], timeout=10)

    def _insert(
        self, job_id: uuid.UUID, kind: JobKind, params: dict[str, Any], actor: str
    ) -> JobRecord:
        with self._db.session() as session:
            row = TrainingJob(
                id=job_id, kind=kind.value, status="queued", params=params, created_by=actor
            )
            session.add(row)
            session.commit()
            session.refresh(row)
            return _record(row)

    def _request_cancel(self, job_id: str) -> JobRecord:
        with self._db.session() as session:
            row = self._row(session, job_id, for_update=True)
            if row.status in FINISHED:
                raise ConflictError(f"training job {job_id} has already {row.status}")
            row.cancel_requested = True
            if row.status == JobStatus.QUEUED:  # never started: nothing to wait for
                row.status, row.finished_at = JobStatus.CANCELLED.value, self._clock.now()
            session.commit()
            session.refresh(row)
            event = self._cancel.get(str(row.id))
            if event is not None:
                event.set()
            return _record(row)

    def _recover(self) -> None:
        """Mark jobs a previous process left queued or running as failed (once)."""
        if self._recovered:
            return
        self._recovered = True
        with self._db.session() as session:
            session.execute(
                update(TrainingJob)
                .where(TrainingJob.status.in_(["queued", "running"]))
                .values(
                    status="failed",
                    error="interrupted: Vigil stopped while the job was running",
                    finished_at=self._clock.now(),
                )
            )
            session.commit()

    @staticmethod
    def _row(session: Session, job_id: str, for_update: bool = False) -> TrainingJob:
        return row_by_id(session, TrainingJob, job_id, "training job", for_update=for_update)

    # -- running --------------------------------------------------------------------------

    async def _run(self, job_id: str, kind: JobKind) -> None:
        if self._one_at_a_time is None:
            self._one_at_a_time = asyncio.Lock()
        cancel = self._cancel[job_id]
        try:
            async with self._one_at_a_time:
                if not await asyncio.to_thread(self._begin, job_id):
                    return  # cancelled while queued
                try:
                    result, artifact = await asyncio.to_thread(self._work, job_id, kind, cancel)
                except JobCancelledError:
                    await asyncio.to_thread(self._finish, job_id, JobStatus.CANCELLED)
                except Exception as err:
                    if isinstance(err, VigilError):  # a reason for the user, not a bug
                        log.warning("training job %s failed: %s", job_id, err.detail)
                        detail = err.detail
                    else:
                        log.exception("training job %s (%s) failed", job_id, kind.value)
                        detail = f"internal error ({type(err).__name__}); see the server log"
                    await asyncio.to_thread(  # shown to users: no server paths or versions
                        self._finish, job_id, JobStatus.FAILED, error=public_text(str(detail))
                    )
                else:
                    await asyncio.to_thread(
                        self._finish, job_id, JobStatus.SUCCEEDED, result=result, artifact=artifact
                    )
        finally:
            self._cancel.pop(job_id, None)

    def _begin(self, job_id: str) -> bool:
        with self._db.session() as session:
            row = self._row(session, job_id, for_update=True)
            if row.status != JobStatus.QUEUED:
                return False
            row.status, row.started_at = JobStatus.RUNNING.value, self._clock.now()
            session.commit()
            return True

    def _finish(
        self,
        job_id: str,
        status: JobStatus,
        *,
        result: dict[str, Any] | None = None,
        artifact: str | None = None,
        error: str | None = None,
    ) -> None:
        with self._db.session() as session:
            row = self._row(session, job_id, for_update=True)
            row.status, row.finished_at = status.value, self._clock.now()
            row.result, row.artifact_key, row.error = result, artifact, error
            if status == JobStatus.SUCCEEDED:
                row.progress = 1.0
            session.commit()

    def _progress(self, job_id: str, cancel: threading.Event, done: int, total: int) -> None:
        if cancel.is_set():
            raise JobCancelledError(f"training job {job_id} was cancelled")
        fraction = round(done / total, 4) if total else 1.0
        with self._db.session() as session:
            session.execute(
                update(TrainingJob)
                .where(TrainingJob.id == uuid.UUID(job_id))
                .values(progress=fraction)
            )
            session.commit()

    def _work(
        self, job_id: str, kind: JobKind, cancel: threading.Event
    ) -> tuple[dict[str, Any], str | None]:
        total = len(sample_keys(self._store))

        def progress(done: int) -> None:
            self._progress(job_id, cancel, done, total)

        progress(0)
        if total == 0:
            raise VigilError(
                "there are no training samples yet: upload labelled images with "
                "POST /api/v1/training/upload first"
            )
        if kind == JobKind.EVALUATE:
            detector = self._detector(EVAL_FLOOR)

            def detect(sample: Sample) -> Detections:
                data = np.frombuffer(self._store.get_bytes(BUCKET, sample.key), np.uint8)
                image = cv2.imdecode(data, cv2.IMREAD_COLOR)
                if image is None:  # uploads were checked on the way in; this one broke since
                    raise VigilError(f"training sample {sample.key} cannot be decoded")
                return detector.detect(np.asarray(image, np.uint8))

            result = evaluate(
                iter_samples(self._store),
                detect,
                classes=detector.classes,
                min_confidence=self._min_confidence,
                progress=progress,
            )
            return {**result, "model": detector.name}, None
        with tempfile.TemporaryDirectory(prefix="vigil-export-") as tmp:
            path = Path(tmp) / "dataset.zip"
            counts = write_coco_zip(
                self._store,
                iter_samples(self._store),
                path,
                progress=progress,
                description=f"Vigil training samples, export job {job_id}",
            )
            size = path.stat().st_size
            key = f"exports/{job_id}.zip"
            self._store.put_file(BUCKET, key, path, move=True)
        return {**counts, "format": "coco", "size_bytes": size}, key


def site_training_jobs(
    config: SiteConfig, db: Database, store: ObjectStore, clock: Clock
) -> TrainingJobs:
    """Jobs that evaluate the site's configured detector (loaded when a job needs it)."""
    det = config.detection

    def detector(floor: float) -> Detector:
        return load_detector(
            det.model, model_path=det.model_path, min_confidence=floor, threads=det.threads
        )

    return TrainingJobs(db, store, clock, detector=detector, min_confidence=det.min_confidence)
