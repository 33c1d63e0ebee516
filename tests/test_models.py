"""The committed model bundles: manifest, layout, loading."""

from __future__ import annotations

import hashlib
import importlib.util
import zipfile
from pathlib import Path

import pytest

from formcam.errors import ModelError
from formcam.pose.models import model_path

MODELS = Path(__file__).resolve().parents[1] / "models"


def load_build_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("formcam_models_build", MODELS / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("size", ["lite", "full"])
def test_committed_bundle_matches_manifest_and_is_aligned(size: str) -> None:
    build = load_build_module()
    manifest = build.read_manifest(MODELS / "MANIFEST.sha256")
    path = model_path(size)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == manifest[path.name]
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == ["pose_detector.tflite", "pose_landmarks_detector.tflite"]
        for info in infos:
            assert info.compress_type == zipfile.ZIP_STORED
            data_offset = info.header_offset + 30 + len(info.filename) + len(info.extra)
            assert data_offset % 64 == 0
            model = zf.read(info)
            assert model[4:8] == b"TFL3"
            assert b"TFLITE_METADATA" in model


def test_zip_bundle_is_deterministic() -> None:
    build = load_build_module()
    members = {"b.tflite": b"x" * 100, "a.tflite": b"y" * 7}
    first = build.zip_bundle(members)
    assert first == build.zip_bundle(dict(reversed(members.items())))
    with zipfile.ZipFile(__import__("io").BytesIO(first)) as zf:
        assert zf.read("a.tflite") == b"y" * 7


def test_unknown_and_missing_models(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="expected one of"):
        model_path("huge")
    monkeypatch.setattr("formcam.pose.models.model_dirs", lambda: [tmp_path])
    with pytest.raises(ModelError, match=r"models/build\.py --models heavy"):
        model_path("heavy")
