"""Every ``workflow.patched`` name the workflows use, with what each one guards.

A value is written into the history of every run that takes the patched branch, and
``tests/workflows/histories/`` replays those runs: never change a value, add a new name.
Why each change was made is told beside the branch it guards (and, for the clock, in
``workflows/clock.py``). ``tests/workflows/test_patches.py`` holds every call to this module.
"""

from __future__ import annotations

CLOCK_FREE_TIMER_DECISIONS = "clock-free-timer-decisions"
"""A timer's outcome alone decides what follows it, never ``workflow.now()`` (clock.py)."""

OPEN_CONTEST_WINDOW = "contest-window"
"""A termination opens a contest window; sessions terminated before contests closed at once."""

RESTORE_DOWNSTREAM_ON_OVERTURN = "restore-downstream-on-overturn"
"""An overturned termination schedules again the downstream steps the termination cancelled."""

CANCEL_DOWNSTREAM_BY_OWN_STATUS = "cancel-on-own-status"
"""A transition cancels the downstream steps by its own status, read before its record."""

READ_LAST_SEEN_BEFORE_ABANDON = "heartbeat-last-seen"
"""A silent session reads the API's last-seen note before it is suspended as abandoned."""

STUCK_STEPS = "stuck-steps"
"""A step that fails for good waits, listed and searchable, for operations to retry it."""
