"""The service catalogue: what each authority offers, its target in working days, fee and
required documents."""
