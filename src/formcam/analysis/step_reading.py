"""Reading a per-step value from a time series (time on axis 0, s): at an instant
(:func:`interp_at`, :func:`at_contact`, :func:`at_kink`, chosen per contact by :func:`contact_reader`), over a
window (:func:`window`, :func:`peak`, :func:`peak_fit`, :func:`p2p`), and the next contact
that ends a step or stride (:func:`next_ic`). Used by :mod:`formcam.analysis.metrics`."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from formcam.analysis.contacts import Contact

Arr = NDArray[np.float64]


def interp_at(t: Arr, y: Arr, when: float) -> float:
    """Linear interpolation of ``y`` at time ``when``; NaN outside or next to NaN."""
    if not t[0] <= when <= t[-1]:
        return float("nan")
    i = int(np.clip(np.searchsorted(t, when) - 1, 0, t.size - 2))
    w = (when - t[i]) / (t[i + 1] - t[i])
    return float((1 - w) * y[i] + w * y[i + 1])


def at_contact(t: Arr, y: Arr, when: float, *, window_s: float = 0.04, max_window_s: float = 0.07) -> float:
    """Value of ``y`` at the instant of contact ``when`` from the samples *before* it.

    The impact is a velocity discontinuity, so interpolating across it mixes in
    post-impact samples; instead a line (3 samples) or parabola (4+ samples) fitted
    to the samples in ``[when - w, when]``, ``w = max(window_s, 3 frames)``, is
    evaluated at ``when`` (an extrapolation of less than one frame). When ``w``
    would exceed ``max_window_s`` (below ~45 fps) the window spans too much of the
    curved late swing: then plain linear interpolation.
    """
    dt = float(np.median(np.diff(t))) if t.size > 1 else 1.0
    w = max(window_s, 3 * dt)
    sel = np.flatnonzero((t <= when + 1e-9) & (t >= when - w - 1e-9))
    if w > max_window_s or sel.size < 3 or not np.isfinite(y[sel]).all():
        return interp_at(t, y, when)
    coef = np.polyfit(t[sel] - when, y[sel], 2 if sel.size >= 4 else 1)
    return float(coef[-1])


def at_kink(t: Arr, y: Arr, when: float, *, window_s: float = 0.035) -> float:
    """Value of ``y`` at ``when`` where its rate may change there: two lines, one through the
    ``n`` samples before ``when`` and one through the ``n`` after, meeting at ``when`` (least
    squares, 3 parameters); ``n`` = ``window_s`` in frames, at least 2 (2 at 60 fps, 4 at
    120). Plain interpolation when fewer samples are there or any is NaN.

    A joint angle kinks at the impact: just before contact the knee is nearly still or
    extending, just after it flexes at ~250 deg/s (real mocap) and faster with a straight-legged
    overstride. A straight line between the two frames around contact then reads
    ``u (1 - u) h (rate_after - rate_before)`` too high (``u``: where contact falls between the
    frames, ``h``: the frame interval), on average a sixth of ``h`` times the rate change:
    +2.4 deg on the phantom's overstride case at 60 fps on its exact keypoints. Like the
    interpolation, the fit takes samples from both sides of contact, so a pose model's
    opposite biases before and after contact still cancel.
    """
    dt = float(np.median(np.diff(t))) if t.size > 1 else 1.0
    n = max(2, round(window_s / dt))
    i = int(np.searchsorted(t, when))
    sel = np.arange(i - n, i + n)
    if sel[0] < 0 or sel[-1] >= t.size or not np.isfinite(y[sel]).all():
        return interp_at(t, y, when)
    d = t[sel] - when
    design = np.column_stack([np.ones_like(d), np.minimum(d, 0.0), np.maximum(d, 0.0)])
    return float(np.linalg.lstsq(design, y[sel], rcond=None)[0][0])


def contact_reader(c: Contact, *, kinked: bool = False) -> Callable[[Arr, Arr, float], float]:
    """How a value at contact ``c`` is read: :func:`at_contact` (a fit to the samples before
    it) for a contact timed from the keypoints; for one timed from the shoe's image motion,
    plain interpolation between the two frames around it, or with ``kinked`` (joint angles,
    whose rate changes at the impact) :func:`at_kink`.

    The one-sided fit is right for exact keypoints, whose angles and positions kink at the
    impact. A contact timed from the image motion comes from a video through a pose model,
    which rounds that kink over a frame or two and lags the swing: through the model the
    knee reads 2-4 deg too flexed over the three frames before the phantom's contacts and
    2-5 deg too straight over the three after, the heel 1-3 cm too far ahead, so
    extrapolating the samples before contact carries their bias (knee -3 to -6 deg, overstride
    +1 to +2 cm on the phantom) while samples from both sides, biased oppositely, cancel.
    Positions are interpolated: the shoe lands at about the speed it then slides on with
    (it settles), so the heel's path has no kink at contact.
    """
    if c.ic_source == "flow":
        return at_kink if kinked else interp_at
    return at_contact


def window(t: Arr, y: Arr, t0: float, t1: float) -> Arr:
    sel = (t >= t0) & (t <= t1)
    return y[sel]


def peak(y: Arr) -> float:
    """Maximum of samples ``y`` refined by a parabola through its neighbours; NaN if any NaN."""
    if y.size == 0 or not np.isfinite(y).all():
        return float("nan")
    i = int(np.argmax(y))
    if 0 < i < y.size - 1:
        a, b, c = y[i - 1], y[i], y[i + 1]
        den = a - 2 * b + c
        if den < 0:
            return float(b - (a - c) ** 2 / (8 * den))
    return float(y[i])


def peak_fit(t: Arr, y: Arr, t0: float, t1: float, *, half_s: float = 0.025) -> float:
    """Maximum of ``y`` over [t0, t1]: vertex of a parabola fitted by least squares to the
    samples within ``half_s`` (at least one frame) of the largest sample. Used on
    unfiltered angles: a fit averages the noise without the low-pass's flattening."""
    sel = np.flatnonzero((t >= t0) & (t <= t1))
    if sel.size == 0 or not np.isfinite(y[sel]).all():
        return float("nan")
    i = int(sel[np.argmax(y[sel])])
    dt = float(np.median(np.diff(t))) if t.size > 1 else 1.0
    k = max(1, round(half_s / dt))
    lo, hi = max(i - k, 0), min(i + k + 1, y.size)
    if hi - lo < 3 or not np.isfinite(y[lo:hi]).all():
        return float(y[i])
    a, b, c = np.polyfit(t[lo:hi] - t[i], y[lo:hi], 2)
    if a >= 0 or abs(b / (2 * a)) > (hi - lo) * dt:
        return float(y[i])
    return float(c - b * b / (4 * a))


def p2p(y: Arr) -> float:
    return peak(y) + peak(-y)


def next_ic(contacts: tuple[Contact, ...], k: int, *, same: bool, max_s: float) -> float | None:
    c = contacts[k]
    for d in contacts[k + 1:]:
        if d.ic_s - c.ic_s > max_s:
            return None
        if (d.side == c.side) == same:
            return d.ic_s
        if same is False:
            return None
    return None
