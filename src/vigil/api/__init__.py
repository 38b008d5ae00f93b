"""The HTTP and WebSocket API (/api/v1, /ws/alerts) and the dashboard it serves.

`create_app(services)` in app.py; one router per resource in routers/.
"""
