"""Durable, deterministic workflows: one interview session, and the steps it leads to."""
