"""SSD anchors of the BlazePose person detector, as MediaPipe's ``SsdAnchorsCalculator``.

The options are those of ``pose_detection_cpu.pbtxt`` and the Tasks
``PoseDetectorGraph``: 224x224 input, 5 layers with strides 8, 16, 32, 32, 32,
aspect ratio 1.0 plus the default interpolated-scale anchor (so 2 anchors per
layer and cell), anchor offset 0.5, fixed anchor size (width = height = 1).
Layers with the same stride share one feature map, so the three stride-32
layers give 6 anchors per cell:

    28 * 28 * 2 + 14 * 14 * 2 + 7 * 7 * 6 = 1568 + 392 + 294 = 2254 anchors.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

INPUT_SIZE = 224
STRIDES: tuple[int, ...] = (8, 16, 32, 32, 32)
ANCHORS_PER_LAYER = 2  # aspect ratio 1.0 and the interpolated scale (aspect ratio 1.0)
ANCHOR_OFFSET = 0.5
N_ANCHORS = 2254


def ssd_anchors(input_size: int = INPUT_SIZE, strides: tuple[int, ...] = STRIDES,
                per_layer: int = ANCHORS_PER_LAYER, offset: float = ANCHOR_OFFSET) -> NDArray[np.float32]:
    """Anchor centres, ``(N, 2)`` float32 ``(x, y)`` in [0, 1] of the input, in model output order.

    With fixed anchor size every anchor has width and height 1, so only the
    centres are returned.
    """
    centres: list[NDArray[np.float32]] = []
    layer = 0
    while layer < len(strides):
        same = layer
        while same < len(strides) and strides[same] == strides[layer]:
            same += 1
        n_per_cell = per_layer * (same - layer)
        side = math.ceil(input_size / strides[layer])
        grid = (np.arange(side, dtype=np.float32) + np.float32(offset)) / np.float32(side)
        ys, xs = np.meshgrid(grid, grid, indexing="ij")
        cells = np.stack([xs.ravel(), ys.ravel()], axis=1)
        centres.append(np.repeat(cells, n_per_cell, axis=0))
        layer = same
    return np.concatenate(centres).astype(np.float32)
