"""Recorded histories still replay: a change that would break running sessions fails here."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from worker import SANDBOX, WORKFLOWS
from workflows.converter import data_converter

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_there_are_histories_to_replay() -> None:
    """Every way a session ends has a recorded history (see record_histories.py)."""
    names = {path.stem for path in HISTORIES}
    assert {
        "interview-session-replay-withdraw",
        "interview-session-replay-fault-resume-terminate",
        "interview-session-replay-complete",
        "interview-session-replay-abandon-expire",
    } <= names


@pytest.mark.parametrize("path", HISTORIES, ids=[path.stem for path in HISTORIES])
async def test_recorded_history_replays_without_nondeterminism(path: Path) -> None:
    """Today's workflow code makes exactly the commands the recorded run made."""
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(workflows=WORKFLOWS, data_converter=data_converter, workflow_runner=SANDBOX)

    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)

    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"


UNEXPLAINED = sorted((Path(__file__).parent / "histories_unexplained").glob("*.json"))


@pytest.mark.xfail(
    reason=(
        "recorded during a chaos run (worker SIGKILLs, Temporal restart): the live run "
        "suspended with workflow.now() of an earlier task, so its expiry came at once and "
        "replay disagrees; under investigation (see the session note)"
    ),
    strict=False,
)
@pytest.mark.parametrize("path", UNEXPLAINED, ids=[path.stem for path in UNEXPLAINED])
async def test_chaos_history_that_does_not_replay_yet(path: Path) -> None:
    """A history from the chaos run that today's code cannot replay, kept until explained."""
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(workflows=WORKFLOWS, data_converter=data_converter, workflow_runner=SANDBOX)

    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)

    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"
