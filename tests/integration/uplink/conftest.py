"""Fixtures of the uplink tests: `hub`, `edge`, `edge_db` (see hub.py)."""

from tests.integration.uplink.hub import edge, edge_db, hub

__all__ = ["edge", "edge_db", "hub"]
