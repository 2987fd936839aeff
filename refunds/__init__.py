"""Refunds: applicant requests with evidence, finance review, money sent back exactly once."""
