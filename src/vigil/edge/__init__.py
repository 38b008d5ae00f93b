"""Edge pipeline of one camera: pull the RTSP stream once (stream.py), record it as
keyframe-cut MP4 segments (recorder.py) and sample ~1 fps frames (sampler.py), run by
`CameraWorker` (camera.py) with reconnect backoff (backoff.py) and metrics (metrics.py).
"""

from vigil.edge.backoff import Backoff
from vigil.edge.camera import CameraWorker
from vigil.edge.recorder import SegmentRecorder, segment_key
from vigil.edge.sampler import FrameSampler
from vigil.edge.stream import StreamReader, StreamTimeline

__all__ = [
    "Backoff",
    "CameraWorker",
    "FrameSampler",
    "SegmentRecorder",
    "StreamReader",
    "StreamTimeline",
    "segment_key",
]
