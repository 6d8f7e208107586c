"""Background and scheduled jobs (session cleanup, later reputation and anomaly evaluation)."""
