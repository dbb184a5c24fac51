"""Shared fixtures: each real server the tests talk to lives in ``tests/fixtures``."""

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.mail",
    "tests.fixtures.hris",
    "tests.fixtures.temporal",
    "tests.fixtures.worker_process",
]
