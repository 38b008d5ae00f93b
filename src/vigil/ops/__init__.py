"""Operations: Prometheus metrics (metrics.py), health checks (health.py), logging setup."""
