"""Running-gait parameters of the phantom runner (see :mod:`formcam.phantom.gait` for how they are met)."""

from __future__ import annotations

from dataclasses import dataclass

SETTINGS: tuple[str, ...] = ("treadmill", "overground")
STRIKE_ANGLES_DEG: dict[str, float] = {"rearfoot": 8.0, "midfoot": 0.0, "forefoot": -8.0}
"""A foot strike angle for each strike pattern (:attr:`PhantomParams.strike_pattern`), the
presets of ``formcam phantom --strike`` and of ``formcam verify``'s strike cases. Rearfoot is the
phantom's default; forefoot mirrors it, well past Altman & Davis's (2012) forefoot boundary of
-1.6 deg; midfoot lands on the flat sole."""


@dataclass(frozen=True)
class PhantomParams:
    """Kinematic targets of the phantom runner (all exact by construction).

    Attributes:
        cadence_spm: steps per minute (both feet).
        contact_time_ms: IC to TO of each foot; must be shorter than a step (running has flight).
        speed_mps: running (or belt) speed.
        trunk_lean_deg: hip-midpoint -> shoulder-midpoint line against vertical in the
            sagittal plane; + = forward. Constant over the stride.
        overstride_cm: heel ahead of the hip midpoint at IC, horizontally; + = ahead.
        knee_flexion_ic_deg: sagittal knee angle at IC; 0 = straight.
        hip_extension_deg: peak thigh angle behind vertical (reached at TO).
        vertical_oscillation_cm: peak-to-peak hip-midpoint height (lowest at midstance).
        pelvic_drop_deg: hip-to-hip line against horizontal at the stance leg's
            midstance; + = swing-side hip lower.
        pelvic_sway_cm: peak-to-peak mediolateral hip-midpoint travel per stride
            (toward the stance side, extreme at midstance).
        lateral_trunk_lean_deg: hip-midpoint -> shoulder-midpoint line against vertical
            in the frontal plane at midstance; + = toward the stance side.
        foot_strike_angle_deg: heel->toe line against the ground at IC; + = toes up. Its
            sign sets which part of the (rigid) foot lands first: see :attr:`strike_pattern`.
        step_width_cm: lateral distance between the left and right ankle centres.
        height_cm: standing height; all segment lengths scale with it.
        setting: ``treadmill`` (pelvis stays at x = 0) or ``overground``.
        first_contact_s: time of a right-foot IC; ICs repeat every stride in both
            directions of time, the left IC half a stride later.
        pelvic_tilt_deg: mean sagittal (anterior) pelvic tilt: the PSIS -> ASIS line below
            horizontal, + = ASIS lower (the pelvis turns about the hip joints' axis, so the
            joints do not move; it shows only on ASIS / PSIS stickers and the textured clothing).
        pelvic_tilt_range_deg: peak-to-peak tilt over each step, most anterior at mid-stance.
    """

    cadence_spm: float = 170.0
    contact_time_ms: float = 250.0
    speed_mps: float = 3.0
    trunk_lean_deg: float = 7.0
    overstride_cm: float = 10.0
    knee_flexion_ic_deg: float = 20.0
    hip_extension_deg: float = 10.0
    vertical_oscillation_cm: float = 8.0
    pelvic_drop_deg: float = 5.0
    pelvic_sway_cm: float = 3.0
    lateral_trunk_lean_deg: float = 0.0
    foot_strike_angle_deg: float = 8.0
    step_width_cm: float = 8.0
    height_cm: float = 175.0
    setting: str = "treadmill"
    first_contact_s: float = 0.1
    pelvic_tilt_deg: float = 0.0
    pelvic_tilt_range_deg: float = 0.0

    def __post_init__(self) -> None:
        checks = [
            (100.0 <= self.cadence_spm <= 240.0, "cadence_spm must be in 100..240"),
            (
                80.0 <= self.contact_time_ms < 60_000.0 / self.cadence_spm,
                "contact_time_ms must be >= 80 and shorter than one step (60000 / cadence_spm)",
            ),
            (0.5 <= self.speed_mps <= 8.0, "speed_mps must be in 0.5..8"),
            (-20.0 <= self.trunk_lean_deg <= 35.0, "trunk_lean_deg must be in -20..35"),
            (-30.0 <= self.overstride_cm <= 50.0, "overstride_cm must be in -30..50"),
            (0.0 <= self.knee_flexion_ic_deg <= 60.0, "knee_flexion_ic_deg must be in 0..60"),
            (-10.0 <= self.hip_extension_deg <= 40.0, "hip_extension_deg must be in -10..40"),
            (0.0 <= self.vertical_oscillation_cm <= 20.0, "vertical_oscillation_cm must be in 0..20"),
            (-15.0 <= self.pelvic_drop_deg <= 15.0, "pelvic_drop_deg must be in -15..15"),
            (0.0 <= self.pelvic_sway_cm <= 15.0, "pelvic_sway_cm must be in 0..15"),
            (-20.0 <= self.lateral_trunk_lean_deg <= 20.0, "lateral_trunk_lean_deg must be in -20..20"),
            (-25.0 <= self.foot_strike_angle_deg <= 30.0, "foot_strike_angle_deg must be in -25..30"),
            (-10.0 <= self.step_width_cm <= 30.0, "step_width_cm must be in -10..30"),
            (120.0 <= self.height_cm <= 220.0, "height_cm must be in 120..220"),
            (self.setting in SETTINGS, f"setting must be one of {SETTINGS}"),
            (-10.0 <= self.pelvic_tilt_deg <= 35.0, "pelvic_tilt_deg must be in -10..35"),
            (0.0 <= self.pelvic_tilt_range_deg <= 20.0, "pelvic_tilt_range_deg must be in 0..20"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"PhantomParams: {message}")

    @property
    def strike_pattern(self) -> str:
        """Which part of the foot lands first, from the sign of ``foot_strike_angle_deg``.

        ``rearfoot``: the heel, foot dorsiflexed (toes up), then the forefoot lowers;
        ``midfoot``: heel and forefoot together (flat sole, angle 0); ``forefoot``: the
        toe tip, foot plantarflexed, then the heel lowers. Either way the sole is flat
        after the first 15 % of stance (:data:`formcam.phantom.gait.FOOT_FLAT_FRACTION`).
        """
        if self.foot_strike_angle_deg > 0:
            return "rearfoot"
        return "midfoot" if self.foot_strike_angle_deg == 0 else "forefoot"

    @property
    def step_s(self) -> float:
        """Time between consecutive ICs (left then right), seconds."""
        return 60.0 / self.cadence_spm

    @property
    def stride_s(self) -> float:
        """Time between consecutive ICs of the same foot, seconds."""
        return 2.0 * self.step_s

    @property
    def contact_s(self) -> float:
        """Stance duration, seconds."""
        return self.contact_time_ms / 1000.0
