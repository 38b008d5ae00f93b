"""One APIRouter per resource, assembled in api/app.py."""
