"""Breach explanations (issue 15): when a record misses its SLA target, the staff responsible say
why and what is being done, the applicant is told in their language, and the deciding actions
wait for it. Shared by every kind of SLA-tracked record (`app.models.SlaTracked`); the record's
own package (licensing for applications) finds the record, its applicant and its timeline."""
