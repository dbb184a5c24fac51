"""A store holding the known month of ``world.py``."""

from __future__ import annotations

import pytest

from store import Store
from tests.reports.world import record_world


@pytest.fixture
async def world(store: Store) -> Store:
    """The test's store, with the world's sessions recorded in it."""
    await record_world(store)
    return store
