"""ORM models added by issue 4 (tracks, faces, training candidates (vision)).

Kept out of models.py so parallel work does not collide; models.py imports this module so the
tables register on `Base.metadata`. Migrations: versions/0003_vision.py.
"""

from __future__ import annotations
