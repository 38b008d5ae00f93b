"""Faces as people use them: enrolled persons and their photos (persons.py), watchlists
(watchlists.py) and face search by photo or by a stored face (search.py).

Finding and embedding faces in frames is the vision stage's (vision/faces.py, face_tracks.py),
as is matching them against the watchlists (vision/watchlist.py).
"""
