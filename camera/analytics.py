"""Picture health from decoded keyframes: black or covered, blurred, frozen, turned away.

Pure functions on one image (and the camera's own history), so they are
tested on pictures and run anywhere; the caller decodes only keyframes and
runs this off the event loop.

Why these measures and defaults (``Thresholds``):

- black / covered: mean luma < 20 *and* its spread < 12 (of 255). A dark
  night scene has a low mean but still spread; a lens cap or a black feed
  has neither.
- blurred: the variance of the Laplacian (edge energy) on a 320-px-wide grey
  image, against the camera's *own* baseline (a median of its first healthy
  samples, then a slow moving average): below 30 % of it. That alone never
  flags a camera out of focus since the day it was installed (its blur *is*
  its baseline), so below an absolute floor of 15 a picture is blurred
  whatever its history. Measured on photographs scaled to 640 px: in focus
  720-3030, a Gaussian defocus of sigma 2 px 43-164, sigma 3 px 13-45, sigma 4
  px 6-17; the simulator's patterns 600-6600 and its blur fault below 5. A
  one-stop desk (a counter, people, signs) is far above the floor; a camera
  aimed at a bare wall may be below it in focus, and its own threshold
  (``blur_absolute``, 0 turns the floor off) is the fix.
- frozen: consecutive samples whose mean absolute difference is < 0.5 grey
  levels. Live sensors never repeat a frame that exactly (noise alone moves
  it by 1-3); a hung encoder or a stuck decoder repeats it bit for bit. Three
  such samples in a row before it counts.
- moved (scene changed): the zero-mean normalised correlation of a 64x36
  grey thumbnail against the stored reference < 0.5. People walking in front
  of the desk lower it a little; a camera turned to the wall or the ceiling
  drops it to about zero. The reference is the first healthy sample, and a
  technician can store a new one after re-aiming the camera.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

__all__ = ["Assessment", "History", "Measure", "Thresholds", "assess", "measure"]

THUMB = (64, 36)


@dataclass(frozen=True)
class Thresholds:
    black_luma: float = 20.0
    black_spread: float = 12.0
    blur_ratio: float = 0.30
    blur_absolute: float = 15.0
    frozen_diff: float = 0.5
    frozen_samples: int = 3
    moved_correlation: float = 0.5
    baseline_samples: int = 3
    min_fps: float = 5.0
    max_keyframe_interval_s: float = 10.0


@dataclass(frozen=True)
class Measure:
    luma: float
    spread: float
    sharpness: float
    grey: np.ndarray = field(repr=False)  # 320 px wide, for frame-to-frame differences
    thumb: np.ndarray = field(repr=False)  # 64x36 float32, for the scene reference


def measure(image: np.ndarray) -> Measure:
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    if grey.shape[1] != 320:
        grey = cv2.resize(
            grey, (320, max(1, round(grey.shape[0] * 320 / grey.shape[1]))), interpolation=cv2.INTER_AREA
        )
    thumb = cv2.resize(grey, THUMB, interpolation=cv2.INTER_AREA).astype(np.float32)
    return Measure(
        luma=float(grey.mean()),
        spread=float(grey.std()),
        sharpness=float(cv2.Laplacian(grey, cv2.CV_64F).var()),
        grey=grey,
        thumb=thumb,
    )


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    denom = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denom) if denom > 1e-6 else 0.0


@dataclass
class History:
    """What one camera's earlier samples left behind (kept by the caller, per camera)."""

    sharpness_samples: list[float] = field(default_factory=list)
    baseline_sharpness: float | None = None
    reference: np.ndarray | None = None
    last_grey: np.ndarray | None = None
    same_count: int = 0


@dataclass(frozen=True)
class Assessment:
    problems: tuple[str, ...]  # black | blurred | frozen | moved
    luma: float
    sharpness: float
    baseline_sharpness: float | None
    scene_correlation: float | None
    frame_diff: float | None


def assess(m: Measure, h: History, t: Thresholds) -> Assessment:
    """Judge one sample against the camera's history, and update the history."""
    problems: list[str] = []
    black = m.luma < t.black_luma and m.spread < t.black_spread
    if black:
        problems.append("black")
    diff = None
    if h.last_grey is not None and h.last_grey.shape == m.grey.shape:
        diff = float(np.abs(m.grey.astype(np.int16) - h.last_grey.astype(np.int16)).mean())
        h.same_count = h.same_count + 1 if diff < t.frozen_diff else 0
    h.last_grey = m.grey
    if h.same_count + 1 >= t.frozen_samples and not black:
        problems.append("frozen")
    blurred = m.sharpness < t.blur_absolute or (
        h.baseline_sharpness is not None and m.sharpness < t.blur_ratio * h.baseline_sharpness
    )
    if blurred and not black:
        problems.append("blurred")
    corr = correlation(m.thumb, h.reference) if h.reference is not None else None
    if corr is not None and corr < t.moved_correlation and not black:
        problems.append("moved")
    if not problems:  # only a healthy picture teaches the baseline and the reference
        if h.baseline_sharpness is None:
            h.sharpness_samples.append(m.sharpness)
            if len(h.sharpness_samples) >= t.baseline_samples:
                h.baseline_sharpness = float(np.median(h.sharpness_samples))
        else:
            h.baseline_sharpness = 0.95 * h.baseline_sharpness + 0.05 * m.sharpness
        if h.reference is None:
            h.reference = m.thumb
    return Assessment(
        tuple(problems), round(m.luma, 1), round(m.sharpness, 1), h.baseline_sharpness, corr, diff
    )


def stream_problems(rates: dict[str, float | None], t: Thresholds) -> list[str]:
    """From packet timing alone (no decode): too few frames, keyframes too rare."""
    problems = []
    fps = rates.get("fps")
    if fps is not None and fps < t.min_fps:
        problems.append("low_fps")
    interval = rates.get("keyframe_interval_s") or rates.get("keyframe_interval_over_s")
    if interval is not None and interval > t.max_keyframe_interval_s:
        problems.append("rare_keyframes")
    return problems
