"""Vigil's tables as SQLAlchemy 2.0 typed models, one module per domain: cameras.py (cameras,
system facts), recordings.py (segments, camera state changes, exported clips), events.py (events,
alerts, notes, notifications), rules.py (zones and rules), auth.py (users, sessions, API keys,
audit), faces.py (face embeddings, persons, watchlists), training.py (training jobs) and hub.py
(the hub's edges). base.py holds the declarative `Base` they all derive from; importing this
package registers every table on `Base.metadata`.

Times are `timestamptz` and come back tz-aware in UTC; binding a naive datetime raises.
Boxes and polygons are normalised to the frame (0..1), boxes as xyxy.
The schema is created only by the Alembic migrations in `vigil.db.migrations`; these models
must describe exactly what they create (a test compares the two). What the models cannot
express is created by the migrations alone: the `events` partitions and
`vigil_ensure_event_partitions()`, and the append-only trigger on `audit_log`.
"""

from vigil.db.tables.auth import (
    ApiKey,
    AuditLog,
    AuditOutcome,
    RefreshToken,
    Role,
    User,
    UserCamera,
)
from vigil.db.tables.base import Base, RuleSource, UtcDateTime, one_of
from vigil.db.tables.cameras import Camera, SystemState
from vigil.db.tables.events import (
    Alert,
    AlertNote,
    AlertStatus,
    Event,
    Notification,
    NotificationStatus,
)
from vigil.db.tables.faces import (
    FACE_EMBEDDING_DIM,
    FaceEmbedding,
    Person,
    PersonFace,
    Watchlist,
    WatchlistPerson,
    WatchSeverity,
)
from vigil.db.tables.hub import Edge
from vigil.db.tables.recordings import CameraStateChange, ClipExport, Segment
from vigil.db.tables.rules import AlertRule, PerimeterZone, ZoneKind
from vigil.db.tables.training import JobKind, JobStatus, TrainingJob

__all__ = [
    "FACE_EMBEDDING_DIM",
    "Alert",
    "AlertNote",
    "AlertRule",
    "AlertStatus",
    "ApiKey",
    "AuditLog",
    "AuditOutcome",
    "Base",
    "Camera",
    "CameraStateChange",
    "ClipExport",
    "Edge",
    "Event",
    "FaceEmbedding",
    "JobKind",
    "JobStatus",
    "Notification",
    "NotificationStatus",
    "PerimeterZone",
    "Person",
    "PersonFace",
    "RefreshToken",
    "Role",
    "RuleSource",
    "Segment",
    "SystemState",
    "TrainingJob",
    "User",
    "UserCamera",
    "UtcDateTime",
    "WatchSeverity",
    "Watchlist",
    "WatchlistPerson",
    "ZoneKind",
    "one_of",
]
