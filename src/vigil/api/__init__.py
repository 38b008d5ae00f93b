"""The HTTP layer: the API (/api/v1, /ws/alerts) and the dashboard it serves.

`create_app(services)` in app.py; typed dependencies (deps.py), request and response bodies
(schemas.py), one router per resource in routers/, rate limits, body limits, uploads and the
alert WebSocket. What the routes call lives in the feature packages (auth, alerts, faces, hub,
media, training, analytics' catalog, edge's camera catalog).
"""
