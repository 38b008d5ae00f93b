"""`/api/v1/persons`: enrol named persons from real face photos, read, rename, add photos,
fetch a photo, delete (embeddings and photos go too). Bad photos are refused by index and name,
and nothing is stored from a batch with a bad photo."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import cv2
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from tests.support.api import CSRF, PASSWORDS, api_for_tests
from tests.support.faces import astronaut, jpeg, messi, png, two_people, wall
from vigil.api.app import create_app
from vigil.api.ws import AlertHub
from vigil.db.session import Database
from vigil.db.tables import AuditLog, PersonFace
from vigil.faces.search import FaceSearch
from vigil.vision.faces import FaceDetector, SFaceEmbedder


@pytest.fixture(scope="module")
def models() -> tuple[FaceDetector, SFaceEmbedder]:
    return FaceDetector(), SFaceEmbedder()


class Http:
    def __init__(self, client: TestClient, admin: dict[str, str], olga: dict[str, str]):
        self.client, self.admin, self.olga = client, admin, olga


@pytest.fixture
def http(
    db: Database, tmp_path: Path, models: tuple[FaceDetector, SFaceEmbedder]
) -> Iterator[Http]:
    detector, embedder = models
    with api_for_tests(db, tmp_path) as api:
        services = replace(api.services, faces=FaceSearch(db, detector=detector, embedder=embedder))
        with TestClient(create_app(services, AlertHub(services.bus))) as client:
            tokens = {}
            for user in ("admin", "olga"):
                r = client.post(
                    "/api/v1/auth/login", json={"username": user, "password": PASSWORDS[user]}
                )
                tokens[user] = {"Authorization": f"Bearer {r.json()['access_token']}", **CSRF}
            yield Http(client, tokens["admin"], tokens["olga"])


def _enrol(
    http: Http, name: str, *photos: tuple[str, bytes, str], notes: str | None = None
) -> httpx.Response:
    data = {"name": name} if notes is None else {"name": name, "notes": notes}
    return http.client.post(
        "/api/v1/persons",
        data=data,
        files=[("photos", photo) for photo in photos],
        headers=http.admin,
    )


def _faces(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(PersonFace)) or 0)


def test_enrol_read_rename_add_photos_and_delete(db: Database, http: Http) -> None:
    first = png(astronaut())
    r = _enrol(
        http,
        "Eileen Collins",
        ("eileen.png", first, "image/png"),
        ("eileen-mirror.jpg", jpeg(cv2.flip(astronaut(), 1)), "image/jpeg"),
        notes="Banned since March",
    )
    assert r.status_code == 201, r.text
    person = r.json()
    assert person["name"] == "Eileen Collins" and person["notes"] == "Banned since March"
    assert person["photos"] == 2 and person["watchlists"] == [] and person["created_by"] == "admin"
    pid = person["id"]

    # Operators read (faces are personal data: viewers do not).
    listed = http.client.get("/api/v1/persons", headers=http.olga)
    assert [p["id"] for p in listed.json()] == [pid]
    photo = http.client.get(f"/api/v1/persons/{pid}/photos/0", headers=http.olga)
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/png"
    assert photo.content == first
    assert (
        http.client.get(f"/api/v1/persons/{pid}/photos/1", headers=http.olga).headers[
            "content-type"
        ]
        == "image/jpeg"
    )
    assert http.client.get(f"/api/v1/persons/{pid}/photos/2", headers=http.olga).status_code == 404

    r = http.client.patch(
        f"/api/v1/persons/{pid}", json={"name": "E. Collins", "notes": None}, headers=http.admin
    )
    assert r.status_code == 200 and r.json()["name"] == "E. Collins" and r.json()["notes"] is None

    r = http.client.post(
        f"/api/v1/persons/{pid}/photos",
        # A big photo (shrunk for face detection; stored as uploaded).
        files=[("photos", ("big.jpg", jpeg(cv2.resize(astronaut(), (2600, 2600))), "image/jpeg"))],
        headers=http.admin,
    )
    assert r.status_code == 200, r.text
    assert r.json()["photos"] == 3 and _faces(db) == 3 and r.json()["photos_to_reenrol"] == 0

    # A photo enrolled by the old model (before migration 0013) is kept and shown as stale.
    with db.session() as session:
        session.execute(
            update(PersonFace).where(PersonFace.n == 0).values(embedding_model="facenet-casia")
        )
        session.commit()
    stale = http.client.get(f"/api/v1/persons/{pid}", headers=http.olga).json()
    assert (stale["photos"], stale["photos_to_reenrol"]) == (3, 1)

    assert http.client.delete(f"/api/v1/persons/{pid}", headers=http.admin).status_code == 204
    assert http.client.get(f"/api/v1/persons/{pid}", headers=http.olga).status_code == 404
    assert http.client.get(f"/api/v1/persons/{pid}/photos/0", headers=http.olga).status_code == 404
    assert _faces(db) == 0
    with db.session() as session:
        actions = session.scalars(
            select(AuditLog.action).where(AuditLog.action.like("persons.%")).order_by(AuditLog.id)
        ).all()
    assert actions == ["persons.create", "persons.update", "persons.photos.add", "persons.delete"]


def test_photos_are_deleted_from_the_store_with_the_person(http: Http, tmp_path: Path) -> None:
    r = _enrol(http, "Eileen", ("a.png", png(astronaut()), "image/png"))
    pid = r.json()["id"]
    stored = tmp_path / "objects" / "persons" / pid
    assert [p.name for p in stored.iterdir()] == ["0.png"]
    http.client.delete(f"/api/v1/persons/{pid}", headers=http.admin)
    assert not (stored / "0.png").exists()


BAD_BATCHES = [  # photos (name, bytes), expected status, expected words in the detail
    (
        [("eileen.png", png(astronaut())), ("wall.png", png(wall()))],
        422,
        "photos[1] (wall.png): no face found",
    ),
    ([("group.png", png(two_people()))], 422, "photos[0] (group.png): 2 faces found"),
    (
        [("eileen.png", png(astronaut())), ("notes.txt", b"just some text")],
        415,
        "photos[1] (notes.txt): not a JPEG, PNG or WebP",
    ),
    ([("eileen.png", png(astronaut()))] * 11, 422, "photos: at most 10 photos"),
]


def test_a_bad_photo_is_named_and_nothing_is_stored(db: Database, http: Http) -> None:
    for photos, status, detail in BAD_BATCHES:
        r = _enrol(http, "Someone", *((name, data, "image/png") for name, data in photos))
        assert r.status_code == status, r.text
        assert detail in r.json()["detail"]
    assert http.client.get("/api/v1/persons", headers=http.olga).json() == []
    assert _faces(db) == 0


def test_fields_are_checked(http: Http) -> None:
    photo = ("messi.png", png(messi()), "image/png")
    assert _enrol(http, "   ", photo).status_code == 422
    assert "name" in _enrol(http, "x" * 201, photo).json()["detail"]
    nul = _enrol(http, "Leo\x00", photo)
    assert nul.status_code == 422 and "NUL" in nul.json()["detail"]
    missing = http.client.post("/api/v1/persons", data={"name": "Leo"}, headers=http.admin)
    assert missing.status_code == 422


def test_roles_and_unknown_ids(http: Http) -> None:
    photo = ("messi.png", png(messi()), "image/png")
    r = http.client.post(
        "/api/v1/persons", data={"name": "Leo"}, files=[("photos", photo)], headers=http.olga
    )
    assert r.status_code == 403  # operators read, admins enrol
    assert http.client.get("/api/v1/persons/not-a-uuid", headers=http.olga).status_code == 422
    unknown = "00000000-0000-4000-8000-000000000000"
    assert http.client.get(f"/api/v1/persons/{unknown}", headers=http.olga).status_code == 404
    r = http.client.post(
        f"/api/v1/persons/{unknown}/photos", files=[("photos", photo)], headers=http.admin
    )
    assert r.status_code == 404
    assert http.client.delete(f"/api/v1/persons/{unknown}", headers=http.admin).status_code == 404
