"""`/api/v1/training/jobs`: evaluate the shipped detector on labelled uploads (precision,
recall, mAP@0.5 against hand-checked figures), export a COCO dataset zip and download it,
cancel queued and running jobs, refuse fine-tuning with the reason."""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from tests.support.api import CSRF, Api, api_for_tests
from tests.support.faces import OPENCV_DATA, astronaut, jpeg, png
from vigil.db.session import Database
from vigil.db.tables import TrainingJob
from vigil.training.jobs import site_training_jobs

SAMPLES: list[tuple[str, bytes, list[list[float]]]] = [
    # name, image, person boxes (normalised xyxy) an operator drew
    ("astronaut.png", png(astronaut()), [[0.0, 0.06, 0.73, 1.0]]),
    ("messi.jpg", (OPENCV_DATA / "messi5.jpg").read_bytes(), [[0.15, 0.19, 0.81, 0.95]]),
    # Only the left player is labelled: the detector's (right) other player is a false positive.
    ("basketball.png", (OPENCV_DATA / "basketball1.png").read_bytes(), [[0.05, 0.17, 0.25, 1.0]]),
    # A person the detector cannot see (an empty wall): a miss.
    ("wall.png", png(np.full((480, 640, 3), 90, np.uint8)), [[0.3, 0.3, 0.6, 0.9]]),
]


@pytest.fixture
def api(db: Database, tmp_path: Path) -> Iterator[Api]:
    with api_for_tests(db, tmp_path) as built:
        yield built


def _upload(api: Api, headers: dict[str, str]) -> None:
    for name, data, boxes in SAMPLES:
        labels = json.dumps([{"class": "person", "bbox": box} for box in boxes])
        r = api.client.post(
            "/api/v1/training/upload",
            files={"file": (name, data, "application/octet-stream")},
            data={"labels": labels},
            headers=headers,
        )
        assert r.status_code == 201, r.text


def _finished(api: Api, job_id: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 120  # a stuck job, not a speed requirement
    while True:
        job: dict[str, Any] = api.client.get(
            f"/api/v1/training/jobs/{job_id}", headers=headers
        ).json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        assert time.monotonic() < deadline, f"job still {job['status']}"
        time.sleep(0.05)


def test_evaluate_scores_the_detector_on_the_labelled_samples(api: Api) -> None:
    admin = {**api.login("admin"), **CSRF}
    _upload(api, {**api.login("olga"), **CSRF})
    r = api.client.post("/api/v1/training/jobs", json={"kind": "evaluate"}, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "queued" and r.json()["created_by"] == "admin"
    job = _finished(api, r.json()["id"], api.login("victor"))  # viewers may watch jobs
    assert job["status"] == "succeeded", job["error"]
    assert job["progress"] == 1.0 and job["artifact_url"] is None
    result = job["result"]
    # 4 people labelled; found: astronaut 0.92, Messi 0.998, left player 0.996 (hits), right
    # player 0.965 (not labelled: a false positive); the wall's "person" is missed.
    assert (result["images"], result["precision"], result["recall"]) == (4, 0.75, 0.75)
    # AP: recall 1/4 and 2/4 at precision 1, 3/4 at precision 3/4 -> 0.25 + 0.25 + 0.1875.
    assert result["map50"] == 0.6875
    assert result["classes"]["person"]["ground_truth"] == 4
    assert result["classes"]["person"]["false_positives"] == 1
    assert result["model"] == "ssdlite-person"
    listed = api.client.get("/api/v1/training/jobs", headers=admin).json()
    assert [j["id"] for j in listed] == [job["id"]]
    artifact = api.client.get(f"/api/v1/training/jobs/{job['id']}/artifact", headers=admin)
    assert artifact.status_code == 404


def test_export_writes_a_coco_zip_that_can_be_downloaded(api: Api) -> None:
    admin = {**api.login("admin"), **CSRF}
    _upload(api, admin)
    r = api.client.post("/api/v1/training/jobs", json={"kind": "export_dataset"}, headers=admin)
    job = _finished(api, r.json()["id"], admin)
    assert job["status"] == "succeeded", job["error"]
    assert job["result"]["images"] == 4 and job["result"]["annotations"] == 4
    r = api.client.get(job["artifact_url"], headers=api.login("victor"))
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert len(r.content) == job["result"]["size_bytes"]
    with zipfile.ZipFile(io.BytesIO(r.content)) as archive:
        coco = json.loads(archive.read("annotations.json"))
        files = {i["file_name"]: archive.read(f"images/{i['file_name']}") for i in coco["images"]}
    assert coco["categories"] == [{"id": 1, "name": "person", "supercategory": "object"}]
    assert sorted(files.values()) == sorted(data for _, data, _ in SAMPLES)
    astro = next(i for i in coco["images"] if files[i["file_name"]] == SAMPLES[0][1])
    assert (astro["width"], astro["height"]) == (512, 512)
    box = next(a for a in coco["annotations"] if a["image_id"] == astro["id"])["bbox"]
    assert box == [0.0, 30.72, 373.76, 481.28]  # pixels, [x, y, width, height]


def test_cancel_a_queued_and_a_running_job(api: Api) -> None:
    admin = {**api.login("admin"), **CSRF}
    # Enough samples that evaluating them takes a while: copies of one upload.
    frame = jpeg(cv2.resize(astronaut(), (640, 480)))
    meta = {"width": 640, "height": 480, "labels": [{"class": "person", "bbox": [0, 0, 0.7, 1]}]}
    store = api.services.store
    for i in range(150):
        store.put_bytes("training-data", f"uploads/2026/11/02/copy-{i:03d}.jpg", frame)
        store.put_bytes(
            "training-data", f"uploads/2026/11/02/copy-{i:03d}.json", json.dumps(meta).encode()
        )
    running = api.client.post("/api/v1/training/jobs", json={"kind": "evaluate"}, headers=admin)
    queued = api.client.post("/api/v1/training/jobs", json={"kind": "evaluate"}, headers=admin)
    # Jobs run one at a time: the second waits; cancelling it ends it before it starts.
    r = api.client.post(f"/api/v1/training/jobs/{queued.json()['id']}/cancel", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled" and r.json()["started_at"] is None
    job_id = running.json()["id"]
    deadline = time.monotonic() + 60
    while api.client.get(f"/api/v1/training/jobs/{job_id}", headers=admin).json()["progress"] == 0:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    r = api.client.post(f"/api/v1/training/jobs/{job_id}/cancel", headers=admin)
    assert r.status_code == 200, r.text
    job = _finished(api, job_id, admin)
    assert job["status"] == "cancelled" and job["result"] is None
    assert 0 < job["progress"] < 1 and job["started_at"] is not None
    again = api.client.post(f"/api/v1/training/jobs/{job_id}/cancel", headers=admin)
    assert again.status_code == 409 and "already cancelled" in again.json()["detail"]
    unknown = api.client.post(f"/api/v1/training/jobs/{uuid.uuid4()}/cancel", headers=admin)
    assert unknown.status_code == 404


def test_finetune_and_empty_jobs_are_refused_with_the_reason_and_roles_hold(api: Api) -> None:
    admin = {**api.login("admin"), **CSRF}
    r = api.client.post("/api/v1/training/jobs", json={"kind": "finetune"}, headers=admin)
    assert r.status_code == 422
    assert "export_dataset" in r.json()["detail"] and "fine-tune elsewhere" in r.json()["detail"]
    assert api.client.get("/api/v1/training/jobs", headers=admin).json() == []
    r = api.client.post("/api/v1/training/jobs", json={"kind": "export_dataset"}, headers=admin)
    empty = _finished(api, r.json()["id"], admin)
    assert empty["status"] == "failed" and "no training samples" in empty["error"]
    operator = {**api.login("olga"), **CSRF}
    r = api.client.post("/api/v1/training/jobs", json={"kind": "evaluate"}, headers=operator)
    assert r.status_code == 403
    r = api.client.post("/api/v1/training/jobs", json={"kind": "train"}, headers=admin)
    assert r.status_code == 422 and "kind" in r.json()["detail"]


def test_jobs_left_running_by_a_stopped_process_are_marked_failed(api: Api, db: Database) -> None:
    with db.session() as session:
        session.add(TrainingJob(id=uuid.uuid4(), kind="evaluate", status="running", created_by="x"))
        session.commit()
    jobs = site_training_jobs(api.services.config, db, api.services.store, api.clock)
    (job,) = jobs.all(10)
    assert job.status == "failed" and job.error is not None and "interrupted" in job.error
