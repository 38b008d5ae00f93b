"""Object storage: `ObjectStore` protocol (base.py); local filesystem (fs.py) by default;
remux.py cuts a time range of recorded segments into one MP4 by stream copy.

Buckets: video-segments, snapshots, clips, training-data.
"""

from vigil.storage.base import BUCKETS, ObjectInfo, ObjectStore, validate_key
from vigil.storage.fs import FsObjectStore

__all__ = ["BUCKETS", "FsObjectStore", "ObjectInfo", "ObjectStore", "validate_key"]
