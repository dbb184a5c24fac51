"""Tests of the database layer, against real SQLite and PostgreSQL databases."""
