"""Accounts, roles and sessions: who is calling, and what they may do."""
