"""Vigil's domain types, a leaf every package may import: detections (detections.py), the values
the stages pass each other on the bus (messages.py: frames, camera states, alert requests, alert
and event views), zones (zones.py) and what rules produce (incidents.py).

`bus/` carries these values and encodes them (bus/codec.py); it defines none of them.
"""
