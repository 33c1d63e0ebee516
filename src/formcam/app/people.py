"""Thumbnails of the candidate runners, so the user can point at the right person.

Each candidate in ``report["person"]["candidates"]`` (rank order) carries the
frame where it was first seen and its box there (``first_frame``,
``first_box_px`` = x, y, w, h in display pixels). The crop of that box, with a
margin, is what the page shows next to a "this is the runner" button.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from formcam.video import FrameReader

log = logging.getLogger(__name__)


def crop_box(image: NDArray[np.uint8], box_px: Sequence[float], *, margin: float = 0.15) -> NDArray[np.uint8]:
    """Crop ``box_px`` (x, y, w, h) from ``image`` (H, W, 3), grown by ``margin`` of its size per side."""
    x, y, w, h = (float(v) for v in box_px)
    height, width = image.shape[:2]
    x0 = int(np.clip(np.floor(x - margin * w), 0, width - 1))
    y0 = int(np.clip(np.floor(y - margin * h), 0, height - 1))
    x1 = int(np.clip(np.ceil(x + w + margin * w), x0 + 1, width))
    y1 = int(np.clip(np.ceil(y + h + margin * h), y0 + 1, height))
    return np.ascontiguousarray(image[y0:y1, x0:x1])


def png_bytes(image: NDArray[np.uint8], *, max_height: int = 220) -> bytes:
    """Encode an RGB image as PNG, scaled down to at most ``max_height`` pixels high."""
    pil = Image.fromarray(image)
    if pil.height > max_height:
        pil = pil.resize((max(1, round(pil.width * max_height / pil.height)), max_height))
    buf = io.BytesIO()
    pil.save(buf, format="PNG")
    return buf.getvalue()


def candidate_thumbnails(video: Path, candidates: Sequence[dict[str, Any]], *,
                         max_height: int = 220) -> list[bytes | None]:
    """PNG crop of each candidate at its first frame (None where the frame or box is missing).

    Decodes the video once, up to the last first-seen frame needed.
    """
    wanted: dict[int, list[int]] = {}
    for i, cand in enumerate(candidates):
        frame, box = cand.get("first_frame"), cand.get("first_box_px")
        if isinstance(frame, int) and isinstance(box, list | tuple) and len(box) == 4:
            wanted.setdefault(frame, []).append(i)
    out: list[bytes | None] = [None] * len(candidates)
    if not wanted:
        return out
    last = max(wanted)
    with FrameReader(video) as reader:
        for frame in reader:
            for i in wanted.get(frame.index, []):
                crop = crop_box(frame.image, candidates[i]["first_box_px"])
                out[i] = png_bytes(crop, max_height=max_height)
            if frame.index >= last:
                break
    missing = [i + 1 for i, png in enumerate(out) if png is None]
    if missing:
        log.warning("%s: no thumbnail for candidate(s) %s", video, missing)
    return out
