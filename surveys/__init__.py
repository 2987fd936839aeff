"""Surveys and polls, their answers and results; satisfaction ratings and their report."""
