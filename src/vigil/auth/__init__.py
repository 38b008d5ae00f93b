"""Who may do what: passwords and tokens (security.py), users with lockout and two-factor sign-in
(users.py), sign-in sessions with rotating refresh tokens (sessions.py), API keys for machines
(api_keys.py) and the append-only audit trail (audit.py)."""
