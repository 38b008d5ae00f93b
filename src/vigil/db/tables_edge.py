"""ORM models added by issue 3 (recording integrity, retention, heartbeats (edge)).

Kept out of models.py so parallel work does not collide; models.py imports this module so the
tables register on `Base.metadata`. Migrations: versions/0002_edge.py.
"""

from __future__ import annotations
