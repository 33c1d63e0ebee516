"""What gait-event detection gives: foot contacts (:class:`Contact`), dropped candidates
(:class:`Rejected`) and a clip's :class:`Events`. Frames are fractional (sub-frame) indices
of the analysed series, times in s. Found by :func:`formcam.analysis.events.detect_events`
(side view) and :mod:`formcam.analysis.events_frontal` (rear / front view)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from formcam.analysis.events_period import UNKNOWN_PERIOD, Periodicity


@dataclass(frozen=True)
class Contact:
    """One foot contact. Frames are fractional indices (sub-frame), times in s.

    ``method``: ``"vertical"`` (sub-frame fit of the foot height), ``"ground-lock"`` (IC
    where the heel starts moving with the ground, see the module docstring) or ``"fore-aft"``
    (the fit failed; IC / TO = 50 ms after / 40 ms before the foot's most-forward /
    most-backward point relative to the hip, about +-2 frames at 30 fps).
    ``ic_source`` / ``to_source``: what timed the event, ``"keypoints"`` (the rules here) or
    ``"flow"`` (the shoe's image motion, :mod:`formcam.analysis.events_flow`, which also sets
    ``method="flow"`` when it timed both).
    """

    side: str
    ic_frame: float
    to_frame: float
    ic_s: float
    to_s: float
    step_time_s: float | None = None
    method: str = "vertical"
    ic_alt_frame: float | None = None
    to_alt_frame: float | None = None
    ic_source: str = "keypoints"
    to_source: str = "keypoints"

    @property
    def contact_time_ms(self) -> float:
        return 1000.0 * (self.to_s - self.ic_s)


@dataclass(frozen=True)
class Rejected:
    """A contact candidate that was dropped, and why."""

    side: str
    ic_s: float
    to_s: float
    reason: str


@dataclass(frozen=True)
class Events:
    """Accepted contacts (sorted by IC time) and rejected candidates.

    Attributes:
        stride_period_s: clip stride period (s) used for detection.
        periodicity: its source and confidence (:class:`Periodicity`).
        n_missed_contacts: contacts missed between two detected ones (a gap of about two
            steps or more: the two are then the same foot).
        swap_frames: half-open frame ranges (one per relabelled stance) whose left/right leg
            keypoints must be swapped so that the stance foot carries its foot's labels
            (:func:`formcam.analysis.clean.swap_legs`).
        side_confidence: agreement of the evidence on the feet, in [0, 1]
            (:mod:`formcam.analysis.sides`).
    """

    contacts: tuple[Contact, ...]
    rejected: tuple[Rejected, ...]
    stride_period_s: float
    periodicity: Periodicity = UNKNOWN_PERIOD
    n_missed_contacts: int = 0
    swap_frames: tuple[tuple[int, int], ...] = ()
    side_confidence: float = 1.0
    timing: str = ""

    def of_side(self, side: str) -> tuple[Contact, ...]:
        return tuple(c for c in self.contacts if c.side == side)

    def shifted(self, frames: int) -> Events:
        """The same events with frame indices moved by ``frames`` (times unchanged)."""
        return replace(self, contacts=tuple(replace(c, ic_frame=c.ic_frame + frames,
                                                    to_frame=c.to_frame + frames)
                                            for c in self.contacts),
                       swap_frames=tuple((a + frames, b + frames) for a, b in self.swap_frames))
