"""Reliability tests: the fault matrix, round-trip properties, bad input,
cookie isolation and the soak (``python -m tests.reliability.soak``)."""
