"""``exitflow audit export`` and ``audit verify`` on a real database."""

from __future__ import annotations

import argparse
import json

import pytest

from config import get_settings
from contract.codes import EventType
from contract.data_rights import ErasureInput
from contract.sessions import Actor
from starter import cli
from store import Store
from tests.store.data_rights import candidate_event


async def _exitflow(argv: list[str]) -> int:
    args: argparse.Namespace = cli._parser().parse_args(argv)
    return int(await args.run(args))


async def test_export_prints_every_entry_with_erased_text_marked_and_verify_holds(
    store: Store,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """finding 3: after an erasure the export marks the erased text, keeps the facts, holds
    no trace of the comment, and ``audit verify`` still exits 0."""
    monkeypatch.setenv("EXITFLOW_DATABASE_URL", database_url)
    get_settings.cache_clear()
    events = [candidate_event(f"c-{n}", EventType.WITHDRAWN) for n in range(3)]
    for event in events:
        await store.record_event(event)
    view, _ = await store.rights.request_erasure(
        "c-1", request=ErasureInput(actor=Actor(id="hr-3", name="Dana Whitfield"))
    )
    await store.rights.erase(view.request_id)
    try:
        exported = await _exitflow(["audit", "export"])
        lines = capsys.readouterr().out.splitlines()
        only = await _exitflow(["audit", "export", "--candidate-id", "c-1"])
        filtered = capsys.readouterr().out.splitlines()
        verified = await _exitflow(["audit", "verify"])
        verdict = json.loads(capsys.readouterr().out)
    finally:
        get_settings.cache_clear()

    assert (exported, only, verified) == (0, 0, 0)
    entries = [json.loads(line) for line in lines]
    assert [entry["position"] for entry in entries] == sorted(e["position"] for e in entries)
    assert [entry["personal"] for entry in entries[:3]] == [
        {"exit.comment": events[0].exit.comment},  # type: ignore[union-attr]
        "erased",
        {"exit.comment": events[2].exit.comment},  # type: ignore[union-attr]
    ]
    assert [json.loads(line)["type"] for line in filtered] == [
        "interview.withdrawn",
        "candidate.erased",
    ]
    assert "travel" not in "".join(filtered)
    assert (verdict["ok"], verdict["events"], verdict["erased"]) == (True, 4, 1)


async def test_export_refuses_a_malformed_filter(
    store: Store, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A candidate id with a line break is refused by name before anything is read."""
    monkeypatch.setenv("EXITFLOW_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        with pytest.raises(ValueError, match="candidate_id"):
            await _exitflow(["audit", "export", "--candidate-id", "c-1\nX"])
    finally:
        get_settings.cache_clear()
