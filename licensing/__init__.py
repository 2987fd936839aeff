"""Licensing applications: one blueprint per family (leases, health cards, signage,
building permits, municipal licences), built on the catalogue and the SLA clock."""
