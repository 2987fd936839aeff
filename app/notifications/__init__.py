"""Notifications: one outbox that delivers every e-mail, SMS and in-app notice.

A change that should tell someone calls `notify()` inside its transaction; the rows commit or
roll back with the change. After commit a job delivers each row; a periodic relay picks up rows
still queued (Redis or the worker was down) and rows whose sender died mid-way.
"""
