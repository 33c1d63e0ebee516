"""Capture what native libraries (MediaPipe's glog/absl, TFLite) write to fd 2.

MediaPipe prints start-up chatter ("Created TensorFlow Lite XNNPACK delegate",
"Feedback manager requires a model with a single signature...") straight to the
process's stderr from C++, bypassing Python logging and ``GLOG_minloglevel``.
While the model is created and warms up, fd 2 is pointed at a temporary file;
the text is then re-logged at DEBUG level (visible with ``formcam -v``), so a
user's terminal shows only formcam's own messages.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)


@contextmanager
def native_stderr_to_log(*, level: int = logging.DEBUG) -> Iterator[None]:
    """Redirect fd 2 to a temp file for the block; log what was captured."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real fd (e.g. captured by a test runner)
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), fd)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, fd)
            os.close(saved)
            tmp.seek(0)
            text = tmp.read().decode("utf-8", errors="replace").strip()
    for line in text.splitlines():
        log.log(level, "native: %s", line)
