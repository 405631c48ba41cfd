"""Picture health on real images: a textured desk scene and what goes wrong with it."""

from __future__ import annotations

import cv2
import numpy as np

from camera.analytics import History, Thresholds, assess, measure

T = Thresholds()


def desk_scene(seed: int = 1, shift: int = 0) -> np.ndarray:
    """A 640x360 scene with edges and texture, plus sensor noise that differs per frame."""
    rng = np.random.default_rng(seed)
    img = np.full((360, 640, 3), 110, np.uint8)
    for _ in range(40):
        x, y = int(rng.integers(0, 600)), int(rng.integers(0, 330))
        color = tuple(int(c) for c in rng.integers(0, 255, 3))
        cv2.rectangle(img, (x + shift, y), (x + shift + 40, y + 25), color, -1)
    cv2.putText(img, "BO PHAN MOT CUA", (40 + shift, 320), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (20, 20, 20), 3)
    return img


def live(frame: np.ndarray, n: int) -> np.ndarray:
    noise = np.random.default_rng(1000 + n).normal(0, 3, frame.shape)
    return np.clip(frame.astype(np.float64) + noise, 0, 255).astype(np.uint8)


def warmed_history() -> tuple[History, np.ndarray]:
    scene, h = desk_scene(), History()
    for n in range(T.baseline_samples):
        assert assess(measure(live(scene, n)), h, T).problems == ()
    assert h.baseline_sharpness and h.reference is not None
    return h, scene


def test_healthy_live_scene_has_no_problem():
    h, scene = warmed_history()
    for n in range(10, 20):
        a = assess(measure(live(scene, n)), h, T)
        assert a.problems == (), a
        assert a.scene_correlation > 0.9 and a.frame_diff > T.frozen_diff


def test_black_and_covered():
    h, _ = warmed_history()
    covered = np.full((360, 640, 3), 6, np.uint8)
    assert assess(measure(live(covered, 1)), h, T).problems == ("black",)
    night = np.full((360, 640, 3), 5, np.uint8)  # dark, but a lit sign and a lamp in it
    cv2.putText(night, "BO PHAN MOT CUA", (40, 200), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (240, 240, 240), 4)
    cv2.circle(night, (560, 60), 25, (255, 255, 255), -1)
    m = measure(live(night, 2))
    assert m.luma < T.black_luma and m.spread > T.black_spread
    assert "black" not in assess(m, h, T).problems


def test_blur_against_the_cameras_own_baseline():
    h, scene = warmed_history()
    soft = cv2.GaussianBlur(live(scene, 5), (0, 0), 6)
    a = assess(measure(soft), h, T)
    assert a.problems == ("blurred",) and a.sharpness < T.blur_ratio * a.baseline_sharpness


def test_frozen_after_repeated_identical_frames():
    h, scene = warmed_history()
    still = live(scene, 7)
    seen = [assess(measure(still.copy()), h, T).problems for _ in range(3)]
    assert seen[0] == () and seen[-1] == ("frozen",)
    assert assess(measure(live(scene, 8)), h, T).problems == ()  # moving again


def test_turned_away_is_moved():
    h, _ = warmed_history()
    wall = live(desk_scene(seed=99), 3)
    a = assess(measure(wall), h, T)
    assert a.problems == ("moved",) and a.scene_correlation < T.moved_correlation


def test_a_camera_blurred_since_installation_is_blurred_from_its_first_sample():
    """No healthy history to compare with: the absolute floor flags it, and the blurred pictures
    never become its baseline."""
    h = History()
    soft = cv2.GaussianBlur(desk_scene(), (0, 0), 6)  # out of focus; the encoder took the noise
    for _ in range(5):
        a = assess(measure(soft), h, T)
        assert "blurred" in a.problems and a.sharpness < T.blur_absolute, a
    assert h.baseline_sharpness is None and h.sharpness_samples == []
    # a sharp desk scene is far above the floor, and a camera aimed at a bare wall can turn it off
    assert measure(live(desk_scene(), 1)).sharpness > 20 * T.blur_absolute
    assert "blurred" not in assess(measure(soft), History(), Thresholds(blur_absolute=0)).problems


def test_a_camera_black_since_installation_is_black_from_its_first_sample():
    a = assess(measure(np.full((360, 640, 3), 4, np.uint8)), History(), T)
    assert a.problems == ("black",)
