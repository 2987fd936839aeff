"""Government authorities (the tenants) and their departments."""
