"""The hardening probes (scripts/probes.py) as a test: every fast probe (no page run) is handled, each in a
process of its own within the probe's own limit. `python scripts/probes.py` runs all of them, pages too."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from scripts.probes import CRASH, HANDLED, HANG, LEAK, Probe, catalogue, leak, run_probes

pytestmark = pytest.mark.timeout(1800)  # a guard for the whole set; each probe has its own limit
FAST = [p for p in catalogue() if p.fast]


@pytest.fixture(scope="module")
def outcomes() -> dict:
    """Every fast probe run once, two at a time (each limited in its own CPU time, not the machine's)."""
    return {o.probe.name: o for o in run_probes(FAST, workers=2)}


@pytest.mark.parametrize("name", [p.name for p in FAST])
def test_the_probe_is_handled(outcomes: dict, name: str) -> None:
    outcome = outcomes[name]
    assert outcome.verdict == HANDLED, f"{outcome.verdict}: {outcome.detail}"


def test_the_catalogue_covers_every_group_of_the_review() -> None:
    groups = {p.group for p in catalogue()}
    assert groups == {"availability", "leaks in the public view", "the import log", "low", "held"}
    names = [p.name for p in catalogue()]
    assert len(names) == len(set(names)) >= 138


def _nothing(folder: Path) -> None:
    return None


def _raises(folder: Path, built: object) -> None:
    raise ValueError("an exception escaped")


def _spins(folder: Path, built: object) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pass


def _leaks(folder: Path, built: object) -> None:
    raise leak("a figure under k shown")


def test_the_runner_tells_a_crash_a_hang_and_a_leak_from_handled() -> None:
    probes = [
        Probe("crash", "test", "", _nothing, _raises),
        Probe("hang", "test", "", _nothing, _spins),
        Probe("leak", "test", "", _nothing, _leaks),
        Probe("fine", "test", "", _nothing, lambda folder, built: None),
    ]
    verdicts = [o.verdict for o in run_probes(probes, workers=2, limit=1.0)]
    assert verdicts == [CRASH, HANG, LEAK, HANDLED]
