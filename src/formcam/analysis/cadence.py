"""Cadence of a clip from its gait events, and its cross-check against the spectral cadence.

Used by :mod:`formcam.analysis.metrics` (see there for how the cadence entry is reported).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from formcam.analysis.events import Events


def typical_step_s(events: Events, *, max_rel_diff: float = 0.35) -> float | None:
    """The step time used to count the steps between two contacts, in seconds.

    Half the median time over *two* consecutive steps (IC to the IC after next), which
    cancels a bias of one foot's contact times: in side view the far foot's IC is often
    detected 2-5 frames late, so single step times alternate short/long and their median
    falls on one of the two (phantom, 8 s at 60 fps: 19.0 frames for a true 21.2, which
    then counted a 28.6-frame gap as two steps and gave 182 instead of 170 steps/min).
    The clip's stride period (:class:`~formcam.analysis.events_period.Periodicity`) replaces it when
    trusted, free of a step/stride ambiguity and within ``max_rel_diff`` of it.
    None with fewer than 3 contacts.
    """
    ic = [c.ic_s for c in events.contacts]
    if len(ic) < 3:
        return None
    step = float(np.median(np.subtract(ic[2:], ic[:-2]))) / 2.0
    per = events.periodicity
    if per.trusted and per.half_step_acf < 0.2 and abs(per.stride_s / 2.0 / step - 1.0) <= max_rel_diff:
        step = per.stride_s / 2.0
    return step if step > 0 else None


def cadence_fit_spm(events: Events) -> float | None:
    """Cadence from one common step time fitted to all IC and TO times (see module doc).

    Each contact gets a step number (the gap to the previous contact in units of
    :func:`typical_step_s`, at least 1); a least-squares line through the IC and TO
    times (one intercept each) against the step number gives the step time.
    """
    cs = events.contacts
    med = typical_step_s(events)
    if med is None or not any(c.step_time_s for c in cs):
        return None
    idx = [0]
    for a, b in itertools.pairwise(cs):
        idx.append(idx[-1] + max(1, round((b.ic_s - a.ic_s) / med)))
    n = np.array(idx, dtype=np.float64)
    x = np.concatenate([n, n])
    kind = np.concatenate([np.zeros(n.size), np.ones(n.size)])
    y = np.concatenate([[c.ic_s for c in cs], [c.to_s for c in cs]])
    design = np.column_stack([x, 1 - kind, kind])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return float(60.0 / coef[0]) if coef[0] > 0 else None


MIDSTANCE_SPECTRAL_MIN = 0.8
"""Periodicity confidence above which a clip whose contacts were all placed at mid-stance
(the hips' lowest points) reports the spectral cadence. Those points move with where the pose
model puts the hips, which changes when the runner's crops change (choose-then-track: fresh
detections for the first 1.5 s, tracked crops after): on the phantom's rear views through
the model the contacts sit 70-105 ms before true mid-stance in the first 1.5 s and 110-127 ms
after, and the event cadence read +0.4 to +1.1 steps/min (six cases) where the whole clip's
periodicity read -0.4 to +0.02."""


def cadence_check(entry: dict[str, Any], events: Events, *, tol: float = 0.15) -> dict[str, Any]:
    """Cross-check the event cadence against the spectral one (:mod:`formcam.analysis.events_period`).

    Returns the keys to update: ``method`` (``"events"``, ``"spectral"`` or None),
    ``events_spm``, ``spectral_spm``, ``spectral_confidence`` and ``note`` (a warning
    or None). When the two disagree by more than ``tol`` (15 %), the spectral value
    wins if its confidence is >= 0.5 or fewer than 4 steps were found, else the
    event value. With no step times but a period of confidence >= 0.6 and no
    step/stride ambiguity (``half_step_acf`` < 0.2), the spectral value is reported
    (so slowed footage is still flagged).
    """
    per = events.periodicity
    spec = per.cadence_spm if per.trusted else None
    ev = entry["value"] if entry["available"] else None
    upd: dict[str, Any] = {"method": "events" if ev is not None else None, "events_spm": ev,
                           "spectral_spm": spec, "spectral_confidence": per.confidence, "note": None}
    if spec is None:
        return upd
    if ev is None and per.confidence >= 0.6 and per.half_step_acf < 0.2:
        upd.update(value=spec, available=True, reason=None, method="spectral",
                   note=f"cadence {spec:.0f} steps/min from the periodicity of the whole clip only "
                        "(no valid consecutive steps)")
    elif ev is not None and abs(ev / spec - 1) <= tol and per.confidence >= MIDSTANCE_SPECTRAL_MIN \
            and {c.method for c in events.contacts} == {"midstance"}:
        upd.update(value=spec, method="spectral")  # see MIDSTANCE_SPECTRAL_MIN
    elif ev is not None and abs(ev / spec - 1) > tol:
        use_spec = per.confidence >= 0.5 or entry["n_steps"] < 4
        upd.update(value=spec if use_spec else ev, method="spectral" if use_spec else "events",
                   note=f"step-event cadence {ev:.0f} and spectral cadence {spec:.0f} steps/min disagree "
                        f"by more than {100 * tol:.0f} %; reporting the "
                        f"{'spectral' if use_spec else 'event'} value")
    return upd


def cadence_of_steps(vals: list[float], *, keep_frac: float = 0.15) -> float | None:
    """Cadence (steps/min) from per-step cadences: 60 over the mean step time of the steps
    within ``keep_frac`` (15 %) of the median step time.

    Not the median step time itself: step times read at whole frames (mid-stance contacts,
    30 fps) lie on a lattice, 10 or 11 frames for a true 10.6, and their median snaps to
    one lattice point. On the symmetric phantom's rear view at 30 fps the two feet's
    medians read 163.6 and 180.0 steps/min for a true 170; the mean of the steps dithers
    between lattice points to the true value. The trim drops steps that are not one step
    (a contact found late or early), as the median did.
    """
    if not vals:
        return None
    kept = kept_step_times_s(vals, keep_frac=keep_frac)
    return 60.0 / (float(kept.mean()) if kept.size else float(np.median(60.0 / np.asarray(vals))))


def kept_step_times_s(vals: list[float], *, keep_frac: float = 0.15) -> np.ndarray:
    """Step times (s) of per-step cadences ``vals`` (steps/min) within ``keep_frac`` of their median."""
    step_s = 60.0 / np.asarray(vals, dtype=np.float64)
    mid = float(np.median(step_s))
    return step_s[np.abs(step_s - mid) <= keep_frac * mid]


MIDSTANCE_SIDE_NOTE = (
    "left/right cadence not compared: the contacts were placed at the hips' lowest points (no clear "
    "flight phase), whose timing differs between the feet with where the pose model puts each hip and "
    "with the pelvis's tilt; on formcam's symmetric test runner through the pose model the two feet's "
    "step times read up to 8 % apart (0.7-8 % in 16 rear cases at 30 and 60 fps)")


def side_cadence_note(steps: list[dict[str, Any]], methods: set[str], *,
                      max_se_frac: float = 0.03) -> str | None:
    """Why the per-side cadences of these steps cannot be compared (None when they can).

    ``steps`` carry ``side`` and their ``cadence_spm`` (the step that ends on that foot);
    ``methods`` are the clip's contact methods. Withheld when every contact was placed at
    mid-stance (:data:`MIDSTANCE_SIDE_NOTE`), or when the standard error of the difference of
    the two feet's mean step times (each as in :func:`cadence_of_steps`) exceeds
    ``max_se_frac`` of the step time: a left/right difference of that size would then be
    step-to-step scatter, not the runner.
    """
    if methods == {"midstance"}:
        return MIDSTANCE_SIDE_NOTE
    errs = []
    for side in ("left", "right"):
        vals = [s["cadence_spm"] for s in steps if s.get("side") == side and s.get("cadence_spm")]
        if not vals:
            return None
        kept = kept_step_times_s(vals)
        if kept.size < 3:
            return (f"left/right cadence not compared: fewer than 3 whole steps end on the {side} foot")
        errs.append((float(kept.std(ddof=1)) / np.sqrt(kept.size), float(kept.mean())))
    se = float(np.hypot(errs[0][0], errs[1][0])) / ((errs[0][1] + errs[1][1]) / 2)
    if se <= max_se_frac:
        return None
    return (f"left/right cadence not compared: the step times scatter so much that the two feet's "
            f"difference is uncertain by about {100 * se:.0f} %, more than the {100 * max_se_frac:.0f} % "
            "a left/right comparison needs; film longer, at 60 fps or more")
