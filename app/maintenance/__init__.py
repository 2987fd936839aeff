"""Maintenance windows: announced suspensions during which writes are refused with 503."""
