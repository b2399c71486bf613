"""Temporal workflows (deterministic) and the activities that do their I/O."""
