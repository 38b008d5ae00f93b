"""The site's cameras: site.yaml's (source "config", read-only here) and those added through
the API (source "api": rows of `cameras`, their RTSP URL encrypted at rest).

One list answers "which cameras exist": `SiteConfig.cameras`. `CameraCatalog.load()` sets it
to the file's cameras followed by the database's API cameras (as `ApiCamera`), swapping the
list as a whole under a lock, so every reader (camera lookups, scopes, zones and rules, live
view, media URLs, heatmaps, camera tests) sees API cameras without knowing where they come
from, and a reader iterating the old list is never disturbed.

Methods are synchronous (the API calls them in a thread) and each is one transaction.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography.fernet import Fernet, InvalidToken
from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vigil.clock import Clock
from vigil.config import CameraConfig, SiteConfig
from vigil.db.session import Database
from vigil.db.tables import AlertRule, Camera, PerimeterZone, RuleSource
from vigil.errors import ConflictError, NotFoundError

log = logging.getLogger(__name__)
SECRETS_KEY_FILE = "camera-secrets.key"


class ApiCamera(CameraConfig):
    """A camera added through the API. Only a marker: site.yaml's are plain `CameraConfig`.
    One with its own `url` has no channel (null)."""


@dataclass(frozen=True, slots=True)
class CameraEntry:
    camera: CameraConfig
    source: Literal["config", "api"]
    defined_in: str | None  # where site.yaml defines a config camera, e.g. "cameras[2]"

    @property
    def channel(self) -> int | None:
        """The DVR channel as people see it: none for an API camera with its own URL."""
        if self.source == "api" and self.camera.url is not None:
            return None
        return self.camera.channel


def file_cameras(config: SiteConfig) -> list[CameraConfig]:
    """site.yaml's cameras, in the file's order (API cameras follow them in the list)."""
    return [c for c in config.cameras if not isinstance(c, ApiCamera)]


def entry_of(config: SiteConfig, camera: CameraConfig) -> CameraEntry:
    if isinstance(camera, ApiCamera):
        return CameraEntry(camera, "api", None)
    index = next((i for i, c in enumerate(file_cameras(config)) if c.id == camera.id), None)
    return CameraEntry(camera, "config", None if index is None else f"cameras[{index}]")


class CameraSecrets:
    """Fernet (AES-128-CBC + HMAC-SHA256) with a key file in the site's keys directory (0600,
    beside the token signing keys), created on first use. Losing the file loses the stored
    camera passwords, never anything else."""

    def __init__(self, keys_dir: Path) -> None:
        self._path = keys_dir / SECRETS_KEY_FILE
        self._fernet: Fernet | None = None
        self._lock = threading.Lock()

    def _key(self) -> Fernet:
        with self._lock:
            if self._fernet is None:
                if not self._path.exists():
                    self._path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                    try:
                        fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    except FileExistsError:  # another process made it first
                        pass
                    else:
                        with os.fdopen(fd, "wb") as fh:
                            fh.write(Fernet.generate_key())
                self._fernet = Fernet(self._path.read_bytes().strip())
            return self._fernet

    def encrypt(self, plaintext: str) -> str:
        return self._key().encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        return self._key().decrypt(token.encode("ascii")).decode()


def _from_file(what: str, defined_in: str | None) -> ConflictError:
    return ConflictError(f"{what} comes from site.yaml ({defined_in}); edit the file and restart")


class CameraCatalog:
    def __init__(
        self, db: Database, config: SiteConfig, clock: Clock, secrets: CameraSecrets
    ) -> None:
        self._db = db
        self._config = config
        self._clock = clock
        self._secrets = secrets
        self._lock = threading.Lock()
        # Why this server refuses camera changes (a hub; an ingest pool); None: it takes them.
        self.refusal: str | None = None

    # -- the effective list -----------------------------------------------------------------

    def load(self) -> list[CameraConfig]:
        """Re-read the API cameras and make the site's list the file's plus them; returns them.
        An API camera whose id site.yaml now uses, or whose URL cannot be decrypted (its key
        file is gone), is left out with a warning."""
        with self._lock:
            files = file_cameras(self._config)
            taken = {c.id for c in files}
            api: list[CameraConfig] = []
            with self._db.session() as session:
                rows = session.scalars(
                    select(Camera)
                    .where(Camera.source == RuleSource.API)
                    .order_by(Camera.created_at, Camera.id)
                )
                for row in rows:
                    if row.id in taken:
                        continue
                    camera = self._camera_of(row)
                    if camera is not None:
                        api.append(camera)
            # One swap: readers hold either the old list or the new one, never a half-made one.
            object.__setattr__(self._config, "cameras", [*files, *api])
            return api

    def entries(self) -> list[CameraEntry]:
        return [entry_of(self._config, c) for c in self._config.cameras]

    def refuse_changes_on_hub(self) -> None:
        """On a hub cameras belong to the edges: each edge adds and changes its own."""
        self.refusal = (
            "this is a hub: cameras belong to its edges; add or change them on the edge "
            "(hub.yaml lists them for names and scopes)"
        )

    def refuse_changes_with_pool(self, processes: int, setting: int | str) -> None:
        """Ingest children get their cameras once, at start: changes would only half-work."""
        self.refusal = (
            f"cameras cannot be added, changed or deleted while this site records with "
            f"{processes} ingest process(es) (recording.ingest_processes: {setting}); change "
            "site.yaml and restart, or set recording.ingest_processes: 0"
        )

    def check_changes_allowed(self) -> None:
        if self.refusal is not None:
            raise ConflictError(self.refusal)

    # -- changes ----------------------------------------------------------------------------

    def create(self, camera: CameraConfig) -> CameraEntry:
        """Store a new API camera; 409 when the id is site.yaml's or another API camera's."""
        self.check_changes_allowed()
        for i, cam in enumerate(file_cameras(self._config)):
            if cam.id == camera.id:
                raise ConflictError(
                    f"camera {camera.id!r} already exists in site.yaml (cameras[{i}]); "
                    "choose another id"
                )
        now = self._clock.now()
        with self._db.session() as session:
            row = session.get(Camera, camera.id)
            if row is not None and row.source == RuleSource.API:
                raise ConflictError(
                    f"camera {camera.id!r} already exists; "
                    f"change it with PATCH /api/v1/cameras/{camera.id}"
                )
            if row is None:  # else a camera site.yaml dropped: its id (and history) is reused
                row = Camera(id=camera.id, created_at=now)
                session.add(row)
            self._fill(row, camera, now)
            row.state = "connecting" if camera.enabled else "disabled"
            row.state_detail = None
            try:
                session.commit()
            except IntegrityError as err:  # created by someone else since the check above
                raise ConflictError(f"camera {camera.id!r} already exists") from err
        return self._entry_after_load(camera.id)

    def update(self, camera: CameraConfig) -> CameraEntry:
        """Replace an API camera's settings (id unchanged)."""
        self.check_changes_allowed()
        with self._db.session() as session:
            row = self._api_row(session, camera.id)
            self._fill(row, camera, self._clock.now())
            if not camera.enabled:
                row.state, row.state_detail = "disabled", None
            elif row.state == "disabled":
                row.state = "connecting"
            session.commit()
        return self._entry_after_load(camera.id)

    def delete(self, camera_id: str) -> CameraEntry:
        """Delete an API camera and its API zones. Its recordings, events and alerts stay.
        Refused (409, naming them) while a rule names the camera or one of its zones."""
        self.check_changes_allowed()
        with self._db.session() as session:
            row = self._api_row(session, camera_id)
            camera = self._camera_of(row)
            zones = set(
                session.scalars(
                    select(PerimeterZone.id).where(PerimeterZone.camera_id == camera_id)
                )
            )
            users = [
                rule_id
                for rule_id, body in session.execute(
                    select(AlertRule.id, AlertRule.body).order_by(AlertRule.id)
                )
                if _names_camera(body, camera_id, zones)
            ]
            if users:
                names = ", ".join(repr(u) for u in users)
                raise ConflictError(
                    f"camera {camera_id!r} is used by rule(s) {names} (the camera or its zones); "
                    "change or delete them first"
                )
            session.execute(delete(PerimeterZone).where(PerimeterZone.camera_id == camera_id))
            session.delete(row)
            session.commit()
        self.load()
        if camera is None:  # unreadable, but deleted all the same: that is what was asked
            camera = ApiCamera(id=camera_id, name=camera_id, channel=1, enabled=False)
        return CameraEntry(camera, "api", None)

    # -- helpers ----------------------------------------------------------------------------

    def entry(self, camera_id: str) -> CameraEntry:
        for cam in self._config.cameras:
            if cam.id == camera_id:
                return entry_of(self._config, cam)
        raise NotFoundError(f"no camera {camera_id!r}")

    def _entry_after_load(self, camera_id: str) -> CameraEntry:
        self.load()
        return self.entry(camera_id)

    def refuse_file_camera(self, camera_id: str) -> None:
        """409 for a camera of site.yaml, naming where the file defines it."""
        for i, cam in enumerate(file_cameras(self._config)):
            if cam.id == camera_id:
                raise _from_file(f"camera {camera_id}", f"cameras[{i}]")

    def _api_row(self, session: Session, camera_id: str) -> Camera:
        self.refuse_file_camera(camera_id)
        row = session.get(Camera, camera_id)
        if row is None or row.source != RuleSource.API:
            raise NotFoundError(f"no camera {camera_id!r}")
        return row

    def _fill(self, row: Camera, camera: CameraConfig, now: Any) -> None:
        url = camera.url.get_secret_value() if camera.url is not None else None
        row.name = camera.name
        row.channel = None if url is not None else camera.channel
        row.stream = camera.stream
        row.enabled = camera.enabled
        row.source = RuleSource.API
        row.defined_in = None
        row.url_encrypted = self._secrets.encrypt(url) if url is not None else None
        row.display_aspect = camera.display_aspect
        row.updated_at = now

    def _camera_of(self, row: Camera) -> ApiCamera | None:
        url: str | None = None
        if row.url_encrypted is not None:
            try:
                url = self._secrets.decrypt(row.url_encrypted)
            except InvalidToken:
                log.warning(
                    "camera %s: its stored URL cannot be decrypted (was %s replaced?); "
                    "left out until it is given again",
                    row.id,
                    SECRETS_KEY_FILE,
                )
                return None
        try:
            return ApiCamera(
                id=row.id,
                name=row.name,
                channel=row.channel,
                stream=0 if row.stream == 0 else 1,
                enabled=row.enabled,
                url=url,  # type: ignore[arg-type]  # pydantic turns the str into a SecretStr
                display_aspect=row.display_aspect,  # type: ignore[arg-type]  # checked below
            )
        except ValidationError as err:
            fields = ", ".join(str(e["loc"][0]) for e in err.errors() if e["loc"])
            log.warning("stored camera %s is invalid (%s); left out", row.id, fields)
            return None


def _names_camera(body: dict[str, Any], camera_id: str, zones: set[str]) -> bool:
    """Whether a stored rule (site.yaml's `rules[]` shape) names the camera, or one of its
    zones on it."""
    cameras = body.get("cameras", "*")
    if isinstance(cameras, list) and camera_id in cameras:
        return True
    on_camera = cameras == "*" or (isinstance(cameras, list) and camera_id in cameras)
    named = body.get("zones")
    return on_camera and isinstance(named, list) and any(z in zones for z in named)
