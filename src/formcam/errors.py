"""Errors that formcam reports to users as one line, without a traceback.

Every error a user can cause (a bad file, a missing model, a clip with nobody
in it) is a :class:`FormcamError`. The CLI prints ``formcam: error: <message>``
and exits with status 2; the app shows the message. Messages name the file and
say what is wrong and, where possible, what to do.
"""

from __future__ import annotations


class FormcamError(Exception):
    """Base class of every error that is the input's fault, not a bug."""


class InputError(FormcamError):
    """The input file is missing, unreadable, or not what was expected."""


class VideoError(InputError):
    """The file is not a decodable video (empty, truncated, image, audio only...)."""


class KeypointsFileError(InputError):
    """A keypoints ``.npz`` file is corrupt or does not follow the data contract."""


class ModelError(FormcamError):
    """A pose model bundle is missing or does not load."""


class NoRunnerError(FormcamError):
    """No person, or too few frames with a person, were found in the video."""


class ConfigError(FormcamError):
    """An option or configuration value is invalid."""
