"""Detector backends behind one `Detector` protocol (detectors/base.py)."""
