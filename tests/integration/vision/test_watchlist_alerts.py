"""Watchlists end to end on real parts: persons enrolled through the API from real photos; the
real detection stage (SSDLite, tracker, YuNet, SFace) on frames showing them; the face
sink storing faces and handing them to the matcher; alerts recorded by the normal alert path
(bus `alerts.requests` -> AlertRequestConsumer -> IncidentRecorder -> PostgreSQL)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support.api import CSRF, PASSWORDS, api_for_tests
from tests.support.faces import Image, astronaut, messi, png
from vigil.alerts.incidents import IncidentRecorder
from vigil.alerts.requests import AlertPath, AlertRequestConsumer
from vigil.api.app import create_app
from vigil.api.ws import AlertHub
from vigil.bus import MemoryBus, topics
from vigil.clock import FakeClock
from vigil.config import DetectionConfig
from vigil.db.session import Database
from vigil.db.tables import Alert
from vigil.faces.search import FaceSearch
from vigil.model.messages import AlertCleared, AlertRequest, Frame
from vigil.storage import FsObjectStore
from vigil.vision.detectors.base import load_detector
from vigil.vision.faces import FaceDetector, SFaceEmbedder
from vigil.vision.pipeline import GateSettings
from vigil.vision.settings import face_stage
from vigil.vision.watchlist import SeenFace, WatchlistMatcher
from vigil.vision.worker import DetectionWorker

T0 = datetime(2026, 11, 2, 20, 0, tzinfo=UTC)
EMPTY = np.full((512, 512, 3), 90, np.uint8)


@pytest.fixture(scope="module")
def models() -> tuple[FaceDetector, SFaceEmbedder]:
    return FaceDetector(), SFaceEmbedder()


@dataclass
class Site:
    http: TestClient
    admin: dict[str, str]
    store: FsObjectStore
    persons: dict[str, str]  # name -> id
    watchlists: dict[str, str]  # name -> id


@pytest.fixture
def site(
    db: Database, tmp_path: Path, models: tuple[FaceDetector, SFaceEmbedder]
) -> Iterator[Site]:
    """Eileen Collins on the enabled watchlist "Banned" (gate only, critical); Leo Messi on
    the disabled watchlist "VIP" (every camera)."""
    detector, embedder = models
    with api_for_tests(db, tmp_path) as api:
        services = replace(api.services, faces=FaceSearch(db, detector=detector, embedder=embedder))
        with TestClient(create_app(services, AlertHub(services.bus))) as http:
            r = http.post(
                "/api/v1/auth/login", json={"username": "admin", "password": PASSWORDS["admin"]}
            )
            admin = {"Authorization": f"Bearer {r.json()['access_token']}", **CSRF}
            persons = {}
            for name, image in (("Eileen Collins", astronaut()), ("Leo Messi", messi())):
                r = http.post(
                    "/api/v1/persons",
                    data={"name": name},
                    files=[("photos", ("photo.png", png(cv2.flip(image, 1)), "image/png"))],
                    headers=admin,
                )
                assert r.status_code == 201, r.text
                persons[name] = r.json()["id"]
            watchlists = {}
            for body in (
                {
                    "name": "Banned",
                    "person_ids": [persons["Eileen Collins"]],
                    "cameras": ["gate"],
                    "severity": "critical",
                },
                {"name": "VIP", "person_ids": [persons["Leo Messi"]], "enabled": False},
            ):
                r = http.post("/api/v1/watchlists", json=body, headers=admin)
                assert r.status_code == 201, r.text
                watchlists[body["name"]] = r.json()["id"]
            yield Site(http, admin, api.services.store, persons, watchlists)  # type: ignore[arg-type]


async def _until(check: Callable[[], bool], what: str, timeout_s: float = 180.0) -> None:
    """Wait for `check` (a deadline for a stuck pipeline, not a speed requirement)."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.05)


async def _watch(db: Database, store: FsObjectStore, scenes: dict[str, Image]) -> FakeClock:
    """Each camera shows its person for 4 s at 1 fps, then an empty scene until the track
    ends (the face stage stores a track's best face when the track ends); returns once every
    face has been matched and every resulting alert recorded, after the person has stayed
    away for the watchlist's clear time."""
    clock = FakeClock(T0)
    bus = MemoryBus(clock)
    await bus.start()
    recorder = IncidentRecorder(db, store, bus, clock)
    path = AlertPath(bus, recorder)
    alert_requests = AlertRequestConsumer(bus, path)
    matcher = WatchlistMatcher(db, bus, clock, clear_after_s=60)
    collector, sink = face_stage(
        DetectionConfig.model_validate({"faces": {"enabled": True}}), db, matcher.submit
    )
    worker = DetectionWorker(
        bus,
        load_detector(min_confidence=0.3),
        max_pending=200,
        gate=GateSettings(enabled=False),
        faces=collector,
        on_faces=sink,
    )
    for component in (alert_requests, matcher, worker):
        await component.start()
    try:
        seq = 0
        for second in range(14):
            for camera_id, image in scenes.items():
                shown = image if second < 4 else EMPTY
                when = T0 + timedelta(seconds=second)
                bus.publish(topics.FRAMES, camera_id, Frame(camera_id, when, seq, shown))
                seq += 1
        await _until(lambda: worker.frames_done == seq, "the detector")
        assert worker.faces_stored == len(scenes), "each person's face is stored once"
        # Each track's first face is matched at once, its best face again when it ends.
        assert matcher.received == 2 * len(scenes)
        await _until(lambda: matcher.processed == matcher.received, "the watchlist matcher")
        await _until(lambda: path.incidents == matcher.matched, "the alert path")
        # The person is not seen again: the visit ends after the clear time.
        clock.advance(61)
        cleared = len(_alerts(db))
        matcher.sweep()
        await _until(
            lambda: sum("cleared_at" in a.data for a in _alerts(db)) == cleared, "the clear"
        )
    finally:
        for component in (worker, matcher, alert_requests):
            await component.stop()
        await bus.stop()
    return clock


def _alerts(db: Database) -> list[Alert]:
    with db.session() as session:
        return list(
            session.scalars(
                select(Alert).where(Alert.type == "watchlist_match").order_by(Alert.created_at)
            ).all()
        )


def test_a_watchlisted_face_raises_one_alert_and_others_do_not(db: Database, site: Site) -> None:
    # Gate: Eileen (on "Banned") -> alert. North: Leo, on the disabled "VIP" only -> none.
    asyncio.run(_watch(db, site.store, {"gate": astronaut(), "perimeter-north": messi()}))
    alerts = _alerts(db)
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.camera_id == "gate" and alert.severity == "critical"
    assert "Eileen Collins" in alert.title and "Banned" in alert.title
    details = alert.data["details"]
    assert details["person_id"] == site.persons["Eileen Collins"]
    assert details["watchlist_id"] == site.watchlists["Banned"] and details["similarity"] >= 0.6
    assert alert.snapshot_key is not None  # the face the camera saw
    # Raised from her first face (second 1), while she was in view, not when her track ended;
    # her best face, stored at the end of the track, belongs to the same visit.
    assert alert.incident_key.endswith(f":gate:{T0 + timedelta(seconds=1):%Y%m%dT%H%M%S}")
    assert alert.data["cleared_at"] == (T0 + timedelta(seconds=61)).isoformat()

    # Face search now names the person each stored camera face was matched to.
    r = site.http.post(
        "/api/v1/search/faces",
        files={"image": ("probe.png", png(astronaut()), "image/png")},
        headers=site.admin,
    )
    assert r.status_code == 200, r.text
    best, other = r.json()
    assert best["camera_id"] == "gate" and best["person"]["name"] == "Eileen Collins"
    assert other["camera_id"] == "perimeter-north" and other["person"]["name"] == "Leo Messi"

    # Enabling "VIP" makes Leo's next visit alert, on any camera; Eileen's list stays silent
    # about him (a different person), and she is not on "VIP".
    vip = site.http.get(f"/api/v1/watchlists/{site.watchlists['VIP']}", headers=site.admin)
    body = {k: v for k, v in vip.json().items() if k in ("name", "person_ids", "cameras")}
    r = site.http.put(
        f"/api/v1/watchlists/{site.watchlists['VIP']}",
        json={**body, "severity": "low", "enabled": True},
        headers=site.admin,
    )
    assert r.status_code == 200, r.text
    asyncio.run(_watch(db, site.store, {"gate": messi(), "perimeter-north": messi()}))
    new = _alerts(db)[1:]
    assert sorted(a.camera_id for a in new) == ["gate", "perimeter-north"]
    assert {a.data["details"]["watchlist_name"] for a in new} == {"VIP"}
    assert {a.data["details"]["person_name"] for a in new} == {"Leo Messi"}
    assert all(a.severity == "low" for a in new)


async def test_one_visit_is_one_alert_until_the_person_is_gone(
    db: Database, site: Site, models: tuple[FaceDetector, SFaceEmbedder]
) -> None:
    detector, embedder = models
    embedding = embedder.embed(detector.detect(astronaut())[0].aligned)
    clock = FakeClock(T0)
    bus = MemoryBus(clock)
    await bus.start()
    requests = bus.subscribe(topics.ALERT_REQUESTS, "test")
    matcher = WatchlistMatcher(db, bus, clock, clear_after_s=60)

    def seen(face_id: str, camera_id: str) -> SeenFace:
        return SeenFace(face_id, camera_id, 1, clock.now(), embedding)

    got: list[Any] = []

    async def drain(n: int) -> None:
        for _ in range(n):
            message = await requests.get(timeout_s=10)
            assert message is not None
            got.append(message.value)
        assert requests.pending == 0

    ids = [str(uuid.uuid4()) for _ in range(4)]
    assert len(await matcher.process(seen(ids[0], "gate"))) == 1
    clock.advance(30)
    await matcher.process(seen(ids[1], "gate"))  # same visit: no second alert
    assert await matcher.process(seen(ids[2], "perimeter-north")) == []  # not on "Banned"
    await drain(1)
    clock.advance(59)
    matcher.sweep()  # seen 59 s ago: still there
    clock.advance(1)
    matcher.sweep()  # 60 s without her: the visit ends
    await drain(1)
    clock.advance(5)
    await matcher.process(seen(ids[3], "gate"))  # she is back: a new visit, a new alert
    await drain(1)
    await bus.stop()
    first, cleared, second = got
    assert isinstance(first, AlertRequest) and isinstance(second, AlertRequest)
    assert isinstance(cleared, AlertCleared) and cleared.key == first.key
    assert first.type == "watchlist_match" and first.key != second.key
    assert first.occurred_at == T0 and second.occurred_at == T0 + timedelta(seconds=95)
