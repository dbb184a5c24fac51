"""How the workflows read the clock: a timer's outcome decides, ``workflow.now()`` only measures.

Why (``CLOCK_FREE_TIMER_DECISIONS`` in patches.py guards it): in the chaos run a worker that
took over from a killed one applied a timer's firing with the clock of the workflow task
before it; replaying the same history reads the right clock. A decision that compared
``workflow.now()`` with a deadline therefore came out differently on replay, and the session
stopped on a nondeterminism error. The clock still sets how long a timer runs, and the times
written into records, where a lag costs only accuracy.
"""

from __future__ import annotations

from datetime import timedelta

SOONEST = timedelta(milliseconds=1)
"""The shortest timer armed: a deadline the clock says has passed still gets a timer, so
that arming one never depends on the clock."""
