"""The edge: each camera's pipeline, and what a site box does beside it.

One camera: pull the RTSP stream once (stream.py), record it as keyframe-cut MP4 segments
(recorder.py) and sample ~1 fps frames (sampler.py), run by `CameraWorker` (camera.py) with
reconnect backoff (backoff.py) and metrics (metrics.py); pool.py runs cameras in child
processes. Beside them: the recording index (index.py), retention, the disk watch, camera
health, heartbeats and the store-and-forward uplink to a hub.

Nothing is imported here: the hub imports edge modules (the segment index, heartbeats) without
loading PyAV, which only the camera pipeline needs.
"""
