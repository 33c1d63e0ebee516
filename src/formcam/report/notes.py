"""Measurement notes in plain words, grouped, for the app and ``report.html``.

``report.json`` keeps every quality warning as the analysis wrote it (precise, for a
therapist or a developer). A runner reading the results needs fewer, plainer words:
:func:`plain_notes` rewrites the known warnings ("3 contact(s) given to the other foot
than the pose model labelled..." becomes "The pose model mixed up your feet at 3
landings; formcam corrected them so that steps alternate") and
groups them under a few headings; an unknown warning is kept as it is, under "Other".
The findings (cues and metrics) come first in both views; these notes are one
collapsed section after them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Rewrite = Callable[[re.Match[str]], str]

_RULES: tuple[tuple[str, str, Rewrite | None], ...] = (
    (r"looks slowed down about ([\d.]+)x", "Slow motion",
     lambda m: f"The clip looks slowed down about {m.group(1)} times, so cadence and contact time are not "
               "shown. If it is slow-motion video, enter the frame rate it was filmed at."),
    (r"(\d+) contact\(s\) given to the other foot", "Left and right",
     lambda m: f"The pose model mixed up your feet at {m.group(1)} landings; formcam corrected them so that "
               "steps alternate."),
    (r"(\d+) contact\(s\) missed between detected ones", "Left and right",
     lambda m: f"{m.group(1)} landing(s) could not be seen; the steps around them are left out of cadence."),
    (r"left and right feet could not be told apart", "Left and right",
     lambda m: "Left and right feet could not be told apart with confidence, so per-side values are not "
               "shown."),
    (r"repaired (\d+) left/right leg swap", "Left and right",
     lambda m: f"The pose model mixed up the legs {m.group(1)} times; formcam put them back."),
    (r"left/right not compared from one side view", "Left and right",
     lambda m: "From one side the near leg and the one behind it are seen differently, so left/right "
               "values of the leg measures are not shown. To compare your legs, film each side."),
    (r"(\d+) contact\(s\) with the landing foot drawn level with or behind", "Left and right",
     lambda m: f"At {m.group(1)} landing(s) the pose model drew your legs on top of each other, so the "
               "measures taken at landing leave those steps out."),
    (r"left/right cadence not compared", "Left and right",
     lambda m: "Your left and right step times are not compared: this video does not time each foot's "
               "landings precisely enough."),
    (r"per-side cadences .* withheld", "Left and right",
     lambda m: "One foot's landings could not be timed as reliably as the other's, so left/right values of "
               "cadence and of the measures taken at landing are not shown."),
    (r"(\d+) of (\d+) contacts timed from the foot's fore-aft", "Timing",
     lambda m: f"In {m.group(1)} of {m.group(2)} steps the moment the foot landed could only be estimated, "
               "so contact time is approximate."),
    (r"frame rate ([\d.]+) fps is below 60 fps", "Timing",
     lambda m: f"The clip has {float(m.group(1)):.0f} frames a second; filming at 60 or more times foot "
               "contact more precisely."),
    (r"summary based on (\d+) steps", "What was measured",
     lambda m: f"Only {m.group(1)} steps were measured; 7 or more per leg give steadier numbers, so film a "
               "longer stretch of steady running."),
    (r"analysed frames .*\(([\d.]+)-([\d.]+) s\)", "What was measured",
     lambda m: f"Only the steady running between {m.group(1)} s and {m.group(2)} s was analysed."),
    (r"from the waist down", "What was measured",
     lambda m: "The clip shows you from the waist down: leg measures are given, trunk lean is not."),
    (r"no valid steps were detected", "What was measured",
     lambda m: "No steps could be measured in this clip: film at least 10 seconds of steady running, from "
               "the side, with the whole body in view."),
    (r"withheld:", "Values not shown", None),
    (r"value\(s\) withheld", "Values not shown", None),
    (r"pelvic drop is read from the pose model", "Pelvic drop",
     lambda m: "Pelvic drop from video can read too low; if it matters, check the video too."),
)
GROUP_ORDER = ("Slow motion", "What was measured", "Left and right", "Timing", "Values not shown",
               "Pelvic drop", "Other")


def plain_note(warning: str) -> tuple[str, str]:
    """``(group, plain text)`` of one quality warning."""
    for pattern, group, rewrite in _RULES:
        m = re.search(pattern, warning)
        if m:
            text = rewrite(m) if rewrite else warning[0].upper() + warning[1:]
            return group, text
    return "Other", warning[0].upper() + warning[1:] if warning else warning


def plain_notes(report: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The report's quality warnings as ``[(group, [plain texts])]`` in :data:`GROUP_ORDER`,
    duplicates dropped."""
    groups: dict[str, list[str]] = {}
    for warning in (report.get("quality") or {}).get("warnings") or []:
        group, text = plain_note(str(warning))
        if text not in groups.setdefault(group, []):
            groups[group].append(text)
    return [(g, groups[g]) for g in GROUP_ORDER if groups.get(g)]


def count_notes(notes: list[tuple[str, list[str]]]) -> int:
    """How many notes :func:`plain_notes` gave, over all groups."""
    return sum(len(texts) for _, texts in notes)
