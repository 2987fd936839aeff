"""Positions staff hold in an authority (its director, a department's head, a section's manager,
the Governor's and the Wali's office directors) and whom an escalation reaches (issue 15).

`targets.escalation_targets` answers, for many (level, service, assignee) keys at once, the
position and the people an escalation at that level notifies, and by which channels; an unfilled
position passes the escalation one level up (`reports_to`) and is recorded (`record_passed_over`).
"""
