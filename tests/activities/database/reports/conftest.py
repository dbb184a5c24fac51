"""A store holding the known month of ``world.py``."""

from __future__ import annotations

import pytest

from activities.database import Store
from tests.activities.database.reports.world import record_world


@pytest.fixture
async def world(store: Store) -> Store:
    """The test's store, with the world's sessions recorded in it."""
    await record_world(store)
    return store
