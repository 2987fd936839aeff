"""What receipts does when another package states a fact (`app.events`): handlers take ids, run
after the fact's commit in their own unit of work, and are idempotent."""

from __future__ import annotations
