"""Notifications: one outbox that delivers every e-mail, SMS and in-app notice.

A change that should tell someone calls `notify()` inside its transaction; the rows commit or
roll back with the change. After commit one job delivers the transaction's rows, each claimed,
sent and recorded on its own; a periodic relay picks up rows whose job is lost (still queued past a
grace period: Redis or the worker was down), rows due for a retry, and rows whose sender died.
"""
