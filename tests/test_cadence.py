"""Cadence from gait events (formcam.analysis.cadence) on hand-made contact sequences."""

from __future__ import annotations

import numpy as np
import pytest

from formcam.analysis.cadence import (
    MIDSTANCE_SIDE_NOTE,
    cadence_fit_spm,
    cadence_of_steps,
    side_cadence_note,
    typical_step_s,
)
from formcam.analysis.events import Contact, Events
from formcam.analysis.events_period import UNKNOWN_PERIOD, Periodicity

FPS = 60.0
STEP_FRAMES = 3600.0 / 170.0  # 170 steps/min: 21.18 frames per step


def events(far_late_frames: float, *, skip: tuple[int, ...] = (), trusted: bool = False) -> Events:
    """Alternating right (near) / left (far) contacts at 170 steps/min; the far foot's IC and TO
    are detected ``far_late_frames`` late, as BlazePose does for the occluded foot in side view."""
    cs: list[Contact] = []
    for k in range(19):
        if k in skip:
            continue
        side = "right" if k % 2 == 0 else "left"
        ic = 10 + k * STEP_FRAMES + (far_late_frames if side == "left" else 0.0)
        to = ic + 15.0
        prev = cs[-1] if cs and cs[-1].side != side else None
        step = (ic - prev.ic_frame) / FPS if prev is not None else None
        cs.append(Contact(side, ic, to, ic / FPS, to / FPS, step_time_s=step))
    per = Periodicity(2 * STEP_FRAMES / FPS, 0.9, "ankle_separation") if trusted else UNKNOWN_PERIOD
    return Events(tuple(cs), (), per.stride_s, periodicity=per)


@pytest.mark.parametrize("trusted", [False, True])
def test_unbiased_contacts_give_the_cadence(trusted: bool) -> None:
    ev = events(0.0, trusted=trusted)
    assert typical_step_s(ev) == pytest.approx(STEP_FRAMES / FPS, rel=1e-9)
    assert cadence_fit_spm(ev) == pytest.approx(170.0, abs=1e-6)


@pytest.mark.parametrize("trusted", [False, True])
def test_a_late_far_foot_and_a_missed_contact_do_not_add_steps(trusted: bool) -> None:
    """Far-foot IC 5 frames late: single step times alternate 26.2 / 16.2 frames and their median
    (16.2, more short gaps than long here) would count every 26.2-frame gap as two steps; a missed
    contact leaves a real two-step gap."""
    ev = events(5.0, skip=(0, 13), trusted=trusted)
    assert typical_step_s(ev) == pytest.approx(STEP_FRAMES / FPS, rel=0.02)
    assert cadence_fit_spm(ev) == pytest.approx(170.0, abs=1.0)  # verify: +-1 step/min (old rule: 255)


def test_too_few_contacts() -> None:
    ev = events(0.0)
    short = Events(ev.contacts[:2], (), ev.stride_period_s)
    assert typical_step_s(short) is None and cadence_fit_spm(short) is None


def lattice_steps(fps: float, n: int = 24) -> list[dict[str, object]]:
    """Alternating steps of an even runner at 170 steps/min whose contacts are read at whole
    frames (mid-stance contacts), each step carrying the cadence of its whole-frame step time."""
    ic = np.floor(5 + np.arange(n + 1) * fps * 60.0 / 170.0)
    return [{"side": "left" if k % 2 else "right", "cadence_spm": 60.0 * fps / float(ic[k + 1] - ic[k])}
            for k in range(n)]


def test_per_side_cadence_of_whole_frame_steps_is_not_snapped_to_the_frame_lattice() -> None:
    steps = lattice_steps(30.0)
    for side in ("left", "right"):
        vals = [float(s["cadence_spm"]) for s in steps if s["side"] == side]  # type: ignore[arg-type]
        assert set(np.round(vals, 1)) <= {163.6, 180.0}  # 11 or 10 frames
        assert cadence_of_steps(vals) == pytest.approx(170.0, abs=2.5)


def test_a_step_far_from_the_others_does_not_move_the_side_cadence() -> None:
    assert cadence_of_steps([170.0, 171.0, 169.0, 170.0, 85.0]) == pytest.approx(170.0, abs=0.6)


def test_side_cadences_withheld_for_midstance_contacts_and_for_scatter() -> None:
    even = lattice_steps(60.0)
    assert side_cadence_note(even, {"flow"}) is None
    assert side_cadence_note(even, {"midstance"}) == MIDSTANCE_SIDE_NOTE
    rng = np.random.default_rng(3)
    noisy = [dict(s, cadence_spm=60.0 / (60.0 / 170.0 + rng.normal(0.0, 0.04))) for s in even[:10]]
    note = side_cadence_note(noisy, {"flow"})
    assert note is not None and "uncertain by about" in note


@pytest.mark.parametrize("method", ["midstance", "flow"])
def test_midstance_contacts_take_the_spectral_cadence(method: str) -> None:
    """Mid-stance contacts whose placement shifts by 2 frames half-way (the pose model's crops
    changed) bias the event cadence; with a confident clip period the spectral value is reported.
    Timed contacts keep the event cadence."""
    from dataclasses import replace as dc_replace

    from formcam.analysis.cadence import cadence_check

    ev = events(0.0, trusted=True)
    shifted = tuple(dc_replace(c, ic_frame=c.ic_frame + (2.0 if k >= 10 else 0.0),
                               ic_s=(c.ic_frame + (2.0 if k >= 10 else 0.0)) / FPS, method=method)
                    for k, c in enumerate(ev.contacts))
    ev = dc_replace(ev, contacts=shifted)
    fit = cadence_fit_spm(ev)
    assert fit is not None and fit < 169.5  # the shift stretched the fitted step time
    got = cadence_check({"value": fit, "available": True, "n_steps": len(shifted)}, ev)
    if method == "midstance":
        assert got["method"] == "spectral" and got["value"] == pytest.approx(170.0, abs=0.01)
    else:
        assert got["method"] == "events" and "value" not in got
