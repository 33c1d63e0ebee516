"""View, direction and setting decisions."""

from __future__ import annotations

import pytest

from formcam.analysis.view import decide_view
from formcam.errors import ConfigError
from tests.synthetic import make_runner, mirror


@pytest.mark.parametrize(("kw", "view", "direction", "setting"), [
    ({"view": "side", "facing": "right"}, "side", "right", "treadmill"),
    ({"view": "side", "facing": "left"}, "side", "left", "treadmill"),
    ({"view": "side", "facing": "right", "setting": "overground"}, "side", "right", "overground"),
    ({"view": "side", "facing": "left", "setting": "overground"}, "side", "left", "overground"),
    ({"view": "rear"}, "rear", "away", "treadmill"),
    ({"view": "front"}, "front", "toward", "treadmill"),
])
def test_auto_decisions(kw: dict[str, str], view: str, direction: str, setting: str) -> None:
    s, _ = make_runner(fps=60, duration_s=3, **kw)  # type: ignore[arg-type]
    d = decide_view(s)
    assert (d.view.value, d.direction.value, d.setting.value) == (view, direction, setting)
    assert d.view.source == d.direction.source == d.setting.source == "auto"
    assert d.forward_sign == (-1 if direction == "left" else 1)


def test_evidence_numbers_are_recorded() -> None:
    side = decide_view(make_runner(fps=60, duration_s=2)[0])
    rear = decide_view(make_runner(fps=60, duration_s=2, view="rear")[0])
    assert side.view.evidence["width_ratio"] is not None and side.view.evidence["width_ratio"] < 0.35
    assert rear.view.evidence["width_ratio"] is not None and rear.view.evidence["width_ratio"] > 0.35
    assert rear.view.evidence["left_minus_right_x_px"] < 0  # type: ignore[operator]


def test_mirrored_side_view_flips_direction_and_rear_stays_rear() -> None:
    s, _ = make_runner(fps=60, duration_s=2, facing="right")
    assert decide_view(mirror(s)).direction.value == "left"
    r, _ = make_runner(fps=60, duration_s=2, view="rear")
    assert decide_view(mirror(r)).view.value == "rear"


def test_user_overrides_are_marked() -> None:
    s, _ = make_runner(fps=60, duration_s=2)
    d = decide_view(s, view="rear", direction="away", setting="overground")
    assert (d.view.value, d.view.source) == ("rear", "user")
    assert (d.direction.value, d.direction.source) == ("away", "user")
    assert (d.setting.value, d.setting.source) == ("overground", "user")
    assert "width_ratio" in d.view.evidence  # the automatic evidence is kept


@pytest.mark.parametrize("kw", [{"view": "top"}, {"setting": "track"}, {"direction": "up"}])
def test_invalid_override_is_a_config_error(kw: dict[str, str]) -> None:
    s, _ = make_runner(fps=60, duration_s=1)
    with pytest.raises(ConfigError, match="expected"):
        decide_view(s, **kw)  # type: ignore[arg-type]
