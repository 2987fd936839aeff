"""One blueprint per application family, each with the schema of what that family needs."""
