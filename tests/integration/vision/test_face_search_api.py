"""`/api/v1/search/faces`: search stored faces by an uploaded photo or by a stored face."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data
from fastapi.testclient import TestClient

from tests.support.api import PASSWORDS, api_for_tests
from vigil.api.app import create_app
from vigil.api.ws import AlertHub
from vigil.db.session import Database
from vigil.faces.search import FaceSearch
from vigil.vision.face_tracks import FaceRecord, store_faces
from vigil.vision.faces import FaceDetector, SFaceEmbedder

SKIMAGE_DATA = Path(skimage.data.__file__).parent
OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
WHEN = datetime(2026, 3, 1, 21, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def models() -> tuple[FaceDetector, SFaceEmbedder]:
    return FaceDetector(), SFaceEmbedder()


def _png(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", image)
    assert ok
    return data.tobytes()


def _astronaut() -> np.ndarray:
    return np.asarray(cv2.imread(str(SKIMAGE_DATA / "astronaut.png")), np.uint8)


def _messi() -> np.ndarray:
    messi = cv2.imread(str(OPENCV_DATA / "messi5.jpg"))[40:240, 150:350]
    return np.asarray(cv2.resize(messi, None, fx=2.5, fy=2.5, interpolation=cv2.INTER_CUBIC))


@pytest.fixture
def client(
    db: Database, tmp_path: Path, models: tuple[FaceDetector, SFaceEmbedder]
) -> Iterator[tuple[TestClient, list[str]]]:
    detector, embedder = models
    records = [
        FaceRecord(cam, track, WHEN, embedder.embed(detector.detect(img)[0].aligned), 0.9)
        for cam, track, img in (("gate", 1, _astronaut()), ("perimeter-north", 2, _messi()))
    ]
    ids = store_faces(db, records)
    with api_for_tests(db, tmp_path) as api:
        services = replace(api.services, faces=FaceSearch(db, detector=detector, embedder=embedder))
        with TestClient(create_app(services, AlertHub(services.bus))) as faces_client:
            r = faces_client.post(
                "/api/v1/auth/login", json={"username": "olga", "password": PASSWORDS["olga"]}
            )
            faces_client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
            yield faces_client, ids


def test_search_by_photo_finds_the_same_person_first(
    client: tuple[TestClient, list[str]],
) -> None:
    http, ids = client
    photo = _png(cv2.flip(_astronaut(), 1))
    r = http.post("/api/v1/search/faces", files={"image": ("probe.png", photo, "image/png")})
    assert r.status_code == 200, r.text
    found = r.json()
    assert [m["id"] for m in found] == [ids[0], ids[1]]
    assert found[0]["camera_id"] == "gate" and found[0]["track_id"] == 1
    assert found[0]["similarity"] > 0.8 > 0.5 > found[1]["similarity"]


def test_search_by_stored_face_leaves_itself_out(client: tuple[TestClient, list[str]]) -> None:
    http, ids = client
    r = http.get(f"/api/v1/search/faces/{ids[0]}", params={"limit": 5})
    assert r.status_code == 200, r.text
    assert [m["id"] for m in r.json()] == [ids[1]]
    missing = http.get(f"/api/v1/search/faces/{uuid.uuid4()}")
    assert missing.status_code == 404


def test_a_photo_without_a_usable_face_is_refused_with_the_reason(
    client: tuple[TestClient, list[str]],
) -> None:
    http, _ = client
    empty = _png(np.full((200, 200, 3), 120, np.uint8))
    r = http.post("/api/v1/search/faces", files={"image": ("wall.png", empty, "image/png")})
    assert r.status_code == 422 and "no face" in r.json()["detail"]
    not_image = http.post(
        "/api/v1/search/faces", files={"image": ("x.txt", b"hello", "text/plain")}
    )
    assert not_image.status_code in (400, 415)


def test_without_face_search_the_api_answers_503(db: Database, tmp_path: Path) -> None:
    with api_for_tests(db, tmp_path) as api:
        headers = api.login("olga")
        services = replace(api.services, faces=None)
        with TestClient(create_app(services, AlertHub(services.bus))) as http:
            r = http.get(f"/api/v1/search/faces/{uuid.uuid4()}", headers=headers)
            assert r.status_code == 503
