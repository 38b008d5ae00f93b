"""Alerts: lifecycle (new -> acknowledged -> resolved) in service.py; notification channels
in channels/ and escalation in escalation.py (later)."""
