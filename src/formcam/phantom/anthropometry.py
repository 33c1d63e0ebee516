"""Segment lengths and body-part sizes of the phantom runner, as fractions of height.

Lengths between joint centres follow Winter (2009), *Biomechanics and Motor
Control of Human Movement*, 4th ed., Fig. 4.1, which reproduces Drillis &
Contini (1966): thigh 0.245 H, shank 0.246 H, ankle height 0.039 H, foot length
0.152 H, foot width 0.055 H, upper arm 0.186 H, forearm 0.146 H, hand 0.108 H,
shoulder height 0.818 H, hip (greater trochanter) height 0.530 H, chin height
0.870 H. Widths between joint centres are not in that figure; the values below
(hip joint centres 0.10 H apart, shoulder joint centres 0.20 H apart) are typical
adult values and are labelled as assumptions. Thicknesses (the radii of the
rendered volumes) are for drawing only and carry no measurement meaning.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Anthropometry:
    """Body dimensions in metres for a runner of height ``height_m``.

    Attributes:
        height_m: standing height.
        thigh_m: hip joint centre to knee joint centre (0.245 H).
        shank_m: knee joint centre to ankle joint centre (0.246 H).
        ankle_height_m: ankle joint centre above the sole of a flat foot (0.039 H).
        foot_m: heel (back of the sole) to toe tip (0.152 H).
        heel_back_m: horizontal distance from the heel back to the ankle centre (25 % of the foot).
        hip_width_m: between the two hip joint centres (0.10 H, assumption).
        trunk_m: hip midpoint to shoulder midpoint (0.818 H - 0.530 H = 0.288 H).
        shoulder_width_m: between the shoulder joint centres (0.20 H, assumption).
        upper_arm_m: shoulder to elbow (0.186 H).
        forearm_m: elbow to wrist (0.146 H).
        hand_m: wrist to finger tips (0.108 H); a running fist is about half of it.
        neck_head_m: shoulder midpoint to head centre (0.935 H - 0.818 H = 0.117 H).
        head_half_height_m, head_half_depth_m, head_half_width_m: head ellipsoid semi-axes.
    """

    height_m: float
    thigh_m: float
    shank_m: float
    ankle_height_m: float
    foot_m: float
    heel_back_m: float
    hip_width_m: float
    trunk_m: float
    shoulder_width_m: float
    upper_arm_m: float
    forearm_m: float
    hand_m: float
    neck_head_m: float
    head_half_height_m: float
    head_half_depth_m: float
    head_half_width_m: float

    @classmethod
    def from_height(cls, height_m: float) -> Anthropometry:
        """Scale the Winter / Drillis & Contini fractions to ``height_m`` (metres)."""
        h = float(height_m)
        return cls(
            height_m=h,
            thigh_m=0.245 * h,
            shank_m=0.246 * h,
            ankle_height_m=0.039 * h,
            foot_m=0.152 * h,
            heel_back_m=0.25 * 0.152 * h,
            hip_width_m=0.10 * h,
            trunk_m=0.288 * h,
            shoulder_width_m=0.20 * h,
            upper_arm_m=0.186 * h,
            forearm_m=0.146 * h,
            hand_m=0.108 * h,
            neck_head_m=0.117 * h,
            head_half_height_m=0.065 * h,
            head_half_depth_m=0.056 * h,
            head_half_width_m=0.044 * h,
        )

    @property
    def toe_ahead_m(self) -> float:
        """Horizontal distance from the ankle centre to the toe tip (flat foot)."""
        return self.foot_m - self.heel_back_m

    @property
    def leg_m(self) -> float:
        """Leg length used for ``overstride_ratio``: thigh + shank (hip to ankle joint centres)."""
        return self.thigh_m + self.shank_m
