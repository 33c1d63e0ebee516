"""Stage 4, report: an analysis in, what a runner or therapist reads out.

Takes an :class:`formcam.analysis.Analysis` (or a keypoints replay) and the report dict;
:func:`build_report` assembles ``report.json``'s contract, :func:`add_cues` evaluates the
cue rules (``rules.toml``, data), and :func:`write_outputs` writes everything beside it:
``report.html``, ``frames.csv``, plots, key frames and the annotated video.
:func:`summary_text` is the terminal summary; :func:`disclaimer` the not-a-diagnosis text;
:func:`plain_notes` the quality warnings in plain words, grouped (app and HTML).
"""

from formcam.report.cues import disclaimer
from formcam.report.json_report import build_report, setting_text, summary_text, write_json
from formcam.report.notes import count_notes, plain_notes
from formcam.report.outputs import add_cues, write_outputs

__all__ = ["add_cues", "build_report", "count_notes", "disclaimer", "plain_notes", "setting_text",
           "summary_text", "write_json", "write_outputs"]
