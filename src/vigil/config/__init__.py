"""The site configuration (`site.yaml`) as pydantic models, and loading with precise errors.

One module per section: site.py (`site:` and the whole file, `SiteConfig`, with the references
between sections), cameras.py (`dvr:`, `cameras:` and their zones), rules.py (`rules:`,
`schedules:`), detection.py, recording.py (`recording:`, `camera_health:`), uplink.py,
storage.py, security.py and alerts.py; base.py holds what they share. load.py reads the file:
``${ENV_VAR}`` references, validation, and errors worded with their paths, e.g.
``cameras[2].zones[0].polygon: needs at least 3 points``.

Every model forbids unknown keys. Secrets may be given as ``${ENV_VAR}`` and are held as
`SecretStr`, so they never reach logs or error messages. The names below are the package's
interface: `from vigil.config import SiteConfig, load_config`.
"""

from vigil.config.alerts import AlertsConfig
from vigil.config.base import SEVERITIES, Base, Severity, Slug
from vigil.config.cameras import CameraConfig, DvrSection, ZoneConfig
from vigil.config.detection import (
    CandidatesConfig,
    ClassFilterConfig,
    DetectionConfig,
    FacesConfig,
    MotionConfig,
    TrackerConfig,
)
from vigil.config.load import format_loc, load_config, parse_config, validation_errors
from vigil.config.recording import CameraHealthConfig, RecordingConfig
from vigil.config.rules import (
    ALL_DAYS,
    RuleConfig,
    RuleType,
    ScheduleConfig,
    Weekday,
    WindowConfig,
)
from vigil.config.security import SecurityConfig
from vigil.config.site import SiteConfig, SiteSection, cross_check
from vigil.config.storage import BucketName, StorageConfig, TierConfig
from vigil.config.uplink import UplinkConfig

__all__ = [
    "ALL_DAYS",
    "SEVERITIES",
    "AlertsConfig",
    "Base",
    "BucketName",
    "CameraConfig",
    "CameraHealthConfig",
    "CandidatesConfig",
    "ClassFilterConfig",
    "DetectionConfig",
    "DvrSection",
    "FacesConfig",
    "MotionConfig",
    "RecordingConfig",
    "RuleConfig",
    "RuleType",
    "ScheduleConfig",
    "SecurityConfig",
    "Severity",
    "SiteConfig",
    "SiteSection",
    "Slug",
    "StorageConfig",
    "TierConfig",
    "TrackerConfig",
    "UplinkConfig",
    "Weekday",
    "WindowConfig",
    "ZoneConfig",
    "cross_check",
    "format_loc",
    "load_config",
    "parse_config",
    "validation_errors",
]
