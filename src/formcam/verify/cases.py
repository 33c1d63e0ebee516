"""The phantom cases ``formcam verify`` runs and the tolerance each compared quantity is held to.

:data:`TOLERANCES` is the one table of largest allowed errors (each with its source);
:class:`Case` is one phantom recording (changed parameters, view, frame rate, clothing,
stickers); :data:`DEFAULT_CASES` and :data:`QUICK_CASES` are the two case lists the CLI
runs. Which quantities a case compares: :data:`SIDE_METRICS`, :data:`REAR_METRICS`,
:data:`EVENTS`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from formcam.phantom import STRIKE_ANGLES_DEG, PhantomParams


@dataclass(frozen=True)
class Tolerance:
    """Largest error allowed for one quantity, in its unit, and where the number comes from.

    The limit is ``fixed + frames * 1000 / fps + leg_fraction * leg length (cm)``: ``frames``
    adds frame intervals at the case's own rate (for quantities in ms), ``leg_fraction``
    scales with the runner's leg (hip joint to ankle, for quantities in cm).
    """

    fixed: float
    source: str
    frames: float = 0.0
    leg_fraction: float = 0.0

    def limit(self, *, fps: float, leg_m: float) -> float:
        """The tolerance for a case filmed at ``fps`` of a runner with legs ``leg_m`` metres long."""
        return self.fixed + self.frames * 1000.0 / fps + self.leg_fraction * leg_m * 100.0


_MOCAP = "mocap scorer (../shared/mocap/README.md)"
_SDD = "smallest detectable difference of 2D running video, Dingenen 2018 (REFERENCES.md)"
TOLERANCES: Mapping[str, Tolerance] = MappingProxyType({
    "runner_frames_%": Tolerance(1.0, "the phantom is in every frame: at most 1 % of frames missed"),
    "cadence_spm": Tolerance(1.0, f"{_MOCAP}: 1 step/min"),
    "contact_time_ms": Tolerance(5.0, f"{_MOCAP}: one frame at the case's rate + 5 ms", frames=1.0),
    "trunk_lean_deg": Tolerance(1.5, f"{_MOCAP}: 1.5 deg (no sagittal-trunk SDD on file)"),
    "overstride_cm": Tolerance(0.0, f"{_MOCAP}: 0.03 leg lengths (2.6 cm on a 175 cm phantom)",
                               leg_fraction=0.03),
    "knee_flexion_ic_deg": Tolerance(3.0, f"{_MOCAP}: 3 deg; {_SDD}: knee flexion 2.3-3.8 deg"),
    "hip_extension_deg": Tolerance(3.0, f"issue 25: 3 deg, as knee flexion ({_SDD}: 2.3-3.8 deg)"),
    "vertical_oscillation_cm": Tolerance(1.5, f"{_MOCAP}: 1.5 cm"),
    "foot_strike_angle_deg": Tolerance(3.0, f"issue 25: 3 deg; {_SDD}: foot inclination 1.3-2.3 deg"),
    "pelvic_drop_deg": Tolerance(2.8, f"{_SDD}: contralateral pelvic drop, about 2.8 deg"),
    "pelvic_drop_markers_deg": Tolerance(1.0, "issue 19: 1 deg with PSIS markers"),
    "pelvic_drop_markerless_deg": Tolerance(2.0, "issue 19: 2 deg markerless"),
    "pelvic_tilt_deg": Tolerance(2.0, "issue 19: 2 deg with side-view ASIS/PSIS stickers"),
    "pelvic_tilt_range_deg": Tolerance(2.0, "issue 19: 2 deg with side-view ASIS/PSIS stickers"),
    "lateral_trunk_lean_deg": Tolerance(2.0, f"{_SDD}: lateral trunk position 1.3-2.3 deg"),
    "pelvic_sway_cm": Tolerance(1.0, f"{_MOCAP}: 1 cm"),
    "initial_contact_frames": Tolerance(1.0, f"{_MOCAP}: median error one frame at the case's rate"),
    "toe_off_frames": Tolerance(1.0, f"{_MOCAP}: median error one frame at the case's rate"),
    "mid_stance_frames": Tolerance(1.0, "as the events: median error one frame at the case's rate"),
})
"""Every quantity ``verify`` prints, with its largest allowed error (see the README's Accuracy section).
A quantity missing here is printed as "not judged"."""
SIDE_METRICS = ("cadence_spm", "contact_time_ms", "trunk_lean_deg", "overstride_cm", "knee_flexion_ic_deg",
                "hip_extension_deg", "vertical_oscillation_cm", "foot_strike_angle_deg")
REAR_METRICS = ("cadence_spm", "contact_time_ms", "pelvic_drop_deg", "lateral_trunk_lean_deg",
                "pelvic_sway_cm")
EVENTS = ("initial_contact", "toe_off", "mid_stance")
"""Event rows, median error in frames: initial contact and toe-off from the contacts that were
timed (not those placed around mid-stance with an assumed duty factor, method ``midstance``),
and mid-stance (halfway between contact and toe-off) from every contact."""


@dataclass(frozen=True)
class Case:
    """One phantom recording: a name, the changed parameters, view and frame rate; the pelvic
    cases also set the clothing, the stickers drawn (:mod:`formcam.phantom.clothing`) and the
    analysis' ``markers`` setting."""

    name: str
    view: str
    fps: float
    changes: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 8.0
    clothing: str = "plain"
    stickers: tuple[str, ...] = ()
    markers: str = "auto"

    def params(self) -> PhantomParams:
        return dataclasses.replace(PhantomParams(), **self.changes)

    @property
    def size(self) -> tuple[int, int]:
        return (960, 540) if self.view.startswith("side") else (540, 960)


BIG_THIGH_SWING: dict[str, Any] = {"hip_extension_deg": 25.0, "overstride_cm": 20.0, "speed_mps": 4.5,
                                   "contact_time_ms": 220.0, "cadence_spm": 176.0}
"""A 61 deg thigh range (default 39 deg): the hip keypoints, placed from the thigh's outline, move
with it; a pelvic-drop method that follows the thighs reads a drop where there is none."""


def pelvic_cases() -> tuple[Case, ...]:
    """Rear-view pelvic-drop cases (issue 19): 5 deg, 9 deg, and 0 deg with a large thigh swing,
    at 30 and 60 fps, with PSIS stickers (``markers=pelvis``) and without (markerless, the
    default ``auto`` finding no stickers); textured clothing in both."""
    out = []
    for label, changes in (("5", {"pelvic_drop_deg": 5.0}), ("9", {"pelvic_drop_deg": 9.0}),
                           ("0-thigh-swing", {"pelvic_drop_deg": 0.0, **BIG_THIGH_SWING})):
        for fps in (60, 30):
            rate = "" if fps == 60 else "-30fps"
            out.append(Case(f"pelvis-{label}-markers{rate}", "rear", fps, changes, duration_s=6.0,
                            clothing="textured", stickers=("psis",), markers="pelvis"))
            out.append(Case(f"pelvis-{label}-markerless{rate}", "rear", fps, changes, duration_s=6.0,
                            clothing="textured", markers="auto"))
    return tuple(out)


PELVIC_CASES = pelvic_cases()


def tilt_cases() -> tuple[Case, ...]:
    """Side-view sagittal pelvic tilt cases (issue 19): 10 and 20 deg of anterior tilt with a 6 deg
    range per step, ASIS / PSIS stickers on both sides (``markers=pelvis``), facing right and
    left, at 60 and 30 fps. They judge the tilt rows only (and that the runner was found): the
    other side-view metrics are the baseline cases'."""
    out = []
    for tilt, view in ((10.0, "side_right"), (20.0, "side_left")):
        for fps in (60, 30):
            rate = "" if fps == 60 else "-30fps"
            out.append(Case(f"tilt-{tilt:g}{rate}", view, fps,
                            {"pelvic_tilt_deg": tilt, "pelvic_tilt_range_deg": 6.0}, duration_s=6.0,
                            stickers=("asis_psis",), markers="pelvis"))
    return tuple(out)


TILT_CASES = tilt_cases()


DEFAULT_CASES: tuple[Case, ...] = (
    Case("baseline", "side_right", 60),
    Case("baseline-30fps", "side_right", 30),
    Case("baseline-120fps", "side_right", 120, duration_s=5.0),
    Case("overstride", "side_right", 60, {"overstride_cm": 24.0, "knee_flexion_ic_deg": 10.0}),
    Case("excessive-lean", "side_left", 60, {"trunk_lean_deg": 15.0}),
    Case("low-cadence", "side_right", 60, {"cadence_spm": 152.0, "contact_time_ms": 280.0,
                                           "speed_mps": 2.8}),
    Case("midfoot-strike", "side_right", 60, {"foot_strike_angle_deg": STRIKE_ANGLES_DEG["midfoot"]}),
    Case("forefoot-strike", "side_right", 60, {"foot_strike_angle_deg": STRIKE_ANGLES_DEG["forefoot"]}),
    Case("baseline-rear", "rear", 60),
    Case("pelvic-drop", "rear", 60, {"pelvic_drop_deg": 9.0}),
    Case("pelvic-drop-30fps", "rear", 30, {"pelvic_drop_deg": 9.0}),
    *PELVIC_CASES,
    *TILT_CASES,
)
QUICK_CASES: tuple[Case, ...] = (Case("quick-side", "side_right", 60, duration_s=4.0),)
