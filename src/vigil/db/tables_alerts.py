"""ORM models added by issue 5 (rules, alert lifecycle, notifications (analytics, alerts)).

Kept out of models.py so parallel work does not collide; models.py imports this module so the
tables register on `Base.metadata`. Migrations: versions/0004_alerts.py.
"""

from __future__ import annotations
