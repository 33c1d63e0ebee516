#!/usr/bin/env python3
"""The plain loop a first script would write, as a whole program (timed with its start-up by
``bench.py``'s ``naive_cli`` rows): OpenCV read -> RGB -> MediaPipe PoseLandmarker in VIDEO mode
with its default options (one pose), nothing else.

Usage: ``python naive_loop.py VIDEO MODEL_TASK_FILE``; prints the number of frames.
"""

import sys

import cv2
import mediapipe as mp
from mediapipe.tasks.python import BaseOptions, vision


def detect_all(landmarker: vision.PoseLandmarker, cap: cv2.VideoCapture) -> int:
    """Every frame of ``cap`` through ``landmarker`` (VIDEO mode); the number of frames."""
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    n = 0
    while True:
        ok, bgr = cap.read()
        if not ok:
            return n
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        landmarker.detect_for_video(image, int(n * 1000 / fps))
        n += 1


def main(video: str, model: str) -> int:
    opts = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=model),
                                        running_mode=vision.RunningMode.VIDEO)
    with vision.PoseLandmarker.create_from_options(opts) as landmarker:
        print(detect_all(landmarker, cv2.VideoCapture(video)))
    return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
