"""The escalation ladder (issue 15): one sweep, every 15 minutes, over every kind of item the
staff owe an answer on (applications, refunds, complaints and tickets, applicants' unanswered
messages), each escalated once per level and idle spell.

- level 1: the assignee, when the item is at risk (one working day or less left);
- level 2: the position the service names, when the item is idle past the service's
  `escalation_days` working days, or breached;
- level 3: the authority's director, `director_escalation_days` working days after level 2 fired
  in the same idle spell.

`sources` finds the items (one set-based SELECT per kind), `clock` holds the at-risk and breached
predicates, `sweep` fires the levels (`escalations` rows, one INSERT ... SELECT per kind) and
`notices` writes the outbox rows.
"""
