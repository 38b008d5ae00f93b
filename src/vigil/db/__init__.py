"""The database layer: SQLAlchemy models, Alembic migrations, sessions and the embedded
PostgreSQL (with pgvector) that the one-box install runs when no VIGIL_DATABASE_URL is set."""
