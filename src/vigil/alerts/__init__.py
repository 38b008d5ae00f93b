"""Alerts: lifecycle (service.py, lifecycle.py), escalation (escalation.py), notifications
(notify.py over channels/, outbox.py, limits.py) and event clips (clips.py)."""
