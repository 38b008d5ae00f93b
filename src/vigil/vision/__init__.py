"""Vision: motion gating, detectors, tracking and faces.

Detectors return the common `Detections` type of model/detections.py.
"""
