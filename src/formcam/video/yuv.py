"""Decoded 4:2:0 video pictures kept as YUV planes, for models that only need small crops.

Converting a whole decoded picture to RGB costs more than decoding it (1080p: ~2 ms
against ~1.5 ms per frame on the 2-core reference machine; 4K: ~9 ms against ~4.5 ms),
yet a BlazePose model looks at one 224 px and one 256 px crop of it. A
:class:`YuvImage` keeps the decoder's planes (no copy) and resamples only the crops,
plane by plane, then converts those few pixels to RGB. The ONNX backend uses it
(:func:`formcam.pose.backends.onnx.roi.crop`); formcam's reader makes one when asked
(``FrameReader(..., yuv=True)``) for 8-bit 4:2:0 pictures, and RGB otherwise.

Conventions:

* ``y`` is ``(Hs, Ws)`` and ``u``, ``v`` are ``(ceil(Hs / 2), ceil(Ws / 2))`` uint8 in the
  *stored* orientation; ``rotation_cw`` (0, 90, 180 or 270 degrees clockwise) makes it
  upright, so :attr:`YuvImage.shape` is the *display* ``(H, W, 3)`` of the RGB frame
  formcam would otherwise produce, and every matrix given to :meth:`YuvImage.warp` maps
  display pixels (centres at integer coordinates, as OpenCV) to output pixels.
* A chroma sample covers a 2 x 2 block of luma pixels and sits at its centre
  (``x = 2 xc + 0.5``); crops interpolate it there.
* ``matrix`` names the YUV -> RGB coefficients (``bt601``, ``bt709``, ``bt2020``,
  ``smpte240m``, ``fcc``); ``full_range`` is JPEG range (0-255) rather than video range
  (Y 16-235, chroma 16-240). Measured against swscale's RGB on four clips (BT.601 and
  BT.709, landscape and portrait): mean absolute difference 1.1-1.2 levels, at most 3.
  The difference is swscale's, not an error of the coefficients: its unscaled x86 path
  (formcam's RGB frames) repeats each chroma sample over its block and rounds each
  fixed-point product down (13-bit coefficients, ``pmulhw``), so its R and B lie about
  1 level and G 1.5 levels below the exact conversion; emulating that integer arithmetic
  reproduced its output bit for bit on three clips. Subtracting that bias from the crops
  brought them to 0.4-0.5 levels of the RGB path's, yet the pose keypoints hardly moved
  (median 0.68 -> 0.64 px from the RGB path's on the parity phantom): the models amplify
  sub-level input differences, so only bit-identical crops (swscale on each crop's region:
  exact, but slower than converting whole 1080p frames) would give identical keypoints.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

KR_KB: dict[str, tuple[float, float]] = {
    "bt601": (0.299, 0.114),
    "bt709": (0.2126, 0.0722),
    "bt2020": (0.2627, 0.0593),
    "smpte240m": (0.212, 0.087),
    "fcc": (0.30, 0.11),
}
"""Luma weights ``(Kr, Kb)`` of each YUV matrix."""

_CHROMA_TO_LUMA = np.array([[2.0, 0.0, 0.5], [0.0, 2.0, 0.5], [0.0, 0.0, 1.0]])
"""Chroma-plane pixel -> luma-plane pixel (a chroma sample at the centre of its 2 x 2 block)."""


def yuv_to_rgb_matrix(matrix: str, *, full_range: bool) -> NDArray[np.float64]:
    """``(3, 4)`` affine matrix from ``(Y, U, V, 1)`` code values to ``(R, G, B)`` in 0-255.

    Raises:
        ValueError: an unknown ``matrix`` name.
    """
    if matrix not in KR_KB:
        raise ValueError(f"unknown YUV matrix: expected one of {sorted(KR_KB)}, got {matrix!r}")
    kr, kb = KR_KB[matrix]
    kg = 1.0 - kr - kb
    ys, cs = (1.0, 1.0) if full_range else (255.0 / 219.0, 255.0 / 224.0)
    y0 = 0.0 if full_range else 16.0
    coef = np.array([[ys, 0.0, 2.0 * (1.0 - kr) * cs],
                     [ys, -2.0 * kb * (1.0 - kb) / kg * cs, -2.0 * kr * (1.0 - kr) / kg * cs],
                     [ys, 2.0 * (1.0 - kb) * cs, 0.0]])
    offset = -coef @ np.array([y0, 128.0, 128.0])
    return np.hstack([coef, offset[:, None]])


def stored_to_display(rotation_cw: int, width: int, height: int) -> NDArray[np.float64]:
    """``(3, 3)`` matrix from stored pixels (a ``width x height`` plane) to display pixels
    after turning it ``rotation_cw`` degrees clockwise (as ``np.rot90(img, -rotation_cw // 90)``).

    Raises:
        ValueError: ``rotation_cw`` is not a quarter turn in [0, 360).
    """
    w, h = width - 1.0, height - 1.0
    matrices = {
        0: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
        90: [[0.0, -1.0, h], [1.0, 0.0, 0.0]],
        180: [[-1.0, 0.0, w], [0.0, -1.0, h]],
        270: [[0.0, 1.0, 0.0], [-1.0, 0.0, w]],
    }
    if rotation_cw not in matrices:
        raise ValueError(f"expected rotation_cw in (0, 90, 180, 270), got {rotation_cw}")
    return np.vstack([np.array(matrices[rotation_cw]), [0.0, 0.0, 1.0]])


@dataclass(frozen=True)
class YuvImage:
    """An 8-bit 4:2:0 picture as planes, plus what is needed to crop it as RGB (module docstring).

    Attributes:
        y: ``(Hs, Ws)`` uint8 luma (rows may be padded views of the decoder's buffer).
        u, v: ``(ceil(Hs / 2), ceil(Ws / 2))`` uint8 chroma (Cb, Cr).
        matrix: YUV -> RGB coefficients, a key of :data:`KR_KB`.
        full_range: JPEG (0-255) rather than video range.
        rotation_cw: clockwise degrees (0, 90, 180, 270) that make the picture upright.
    """

    y: NDArray[np.uint8]
    u: NDArray[np.uint8]
    v: NDArray[np.uint8]
    matrix: str = "bt601"
    full_range: bool = False
    rotation_cw: int = 0

    def __post_init__(self) -> None:
        hs, ws = self.y.shape
        want = ((hs + 1) // 2, (ws + 1) // 2)
        if self.u.shape != want or self.v.shape != want:
            raise ValueError(f"expected chroma planes of {want} for luma {self.y.shape}, "
                             f"got {self.u.shape} and {self.v.shape}")
        stored_to_display(self.rotation_cw, ws, hs)  # validates the rotation
        yuv_to_rgb_matrix(self.matrix, full_range=self.full_range)  # validates the matrix

    @property
    def shape(self) -> tuple[int, int, int]:
        """Display ``(H, W, 3)``, as the RGB frame would have."""
        hs, ws = self.y.shape
        return (ws, hs, 3) if self.rotation_cw in (90, 270) else (hs, ws, 3)

    def warp(self, matrix: NDArray[np.floating], size: int, *, replicate: bool) -> NDArray[np.uint8]:
        """``(size, size, 3)`` uint8 RGB: the picture resampled bilinearly through the ``(3, 3)``
        perspective ``matrix`` (display pixels -> output pixels), like ``cv2.warpPerspective``
        on the RGB frame; outside the picture black (``replicate=False``) or the edge pixels."""
        hs, ws = self.y.shape
        to_out = np.asarray(matrix, dtype=np.float64) @ stored_to_display(self.rotation_cw, ws, hs)
        chroma_to_out = to_out @ _CHROMA_TO_LUMA
        black = 0.0 if self.full_range else 16.0
        planes = [self._warp_plane(self.y, to_out, size, replicate, black),
                  self._warp_plane(self.u, chroma_to_out, size, replicate, 128.0),
                  self._warp_plane(self.v, chroma_to_out, size, replicate, 128.0)]
        return self._to_rgb(np.asarray(cv2.merge(planes), dtype=np.uint8))

    def to_rgb(self) -> NDArray[np.uint8]:
        """The whole picture as ``(H, W, 3)`` uint8 RGB in display orientation (chroma repeated
        over its 2 x 2 block). For callers that need every pixel; slower than FFmpeg's."""
        hs, ws = self.y.shape
        u = np.repeat(np.repeat(self.u, 2, axis=0), 2, axis=1)[:hs, :ws]
        v = np.repeat(np.repeat(self.v, 2, axis=0), 2, axis=1)[:hs, :ws]
        rgb = self._to_rgb(np.asarray(cv2.merge([np.ascontiguousarray(self.y), u, v]), dtype=np.uint8))
        return np.ascontiguousarray(np.rot90(rgb, k=-(self.rotation_cw // 90)))

    def _to_rgb(self, yuv: NDArray[np.uint8]) -> NDArray[np.uint8]:
        m = yuv_to_rgb_matrix(self.matrix, full_range=self.full_range)
        return np.asarray(cv2.transform(yuv, m), dtype=np.uint8)  # rounds and saturates

    @staticmethod
    def _warp_plane(plane: NDArray[np.uint8], matrix: NDArray[np.float64], size: int, replicate: bool,
                    fill: float) -> NDArray[np.uint8]:
        border = cv2.BORDER_REPLICATE if replicate else cv2.BORDER_CONSTANT
        out = cv2.warpPerspective(plane, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=border,
                                  borderValue=fill)
        return np.asarray(out, dtype=np.uint8)
