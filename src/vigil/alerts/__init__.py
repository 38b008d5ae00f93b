"""Alerts: the alert path that writes every alert (requests.py: rule outcomes and the
`alerts.requests` consumer, through incidents.py and snapshots.py), lifecycle (service.py,
lifecycle.py), escalation (escalation.py), notifications (notify.py over channels/, outbox.py,
limits.py), event clips (clips.py), and the event and report queries (events.py, reports.py)."""
