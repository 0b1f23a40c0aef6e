"""Kiro's subscription rules (R1-R9), pure: no I/O, no clock of its own, no JSON or SQL."""
