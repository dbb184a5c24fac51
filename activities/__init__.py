"""Adapters to the outside world, grouped by the system they talk to."""
