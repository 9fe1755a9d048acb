"""Following the speaker: real faces (scikit-image's portraits) moved over a background, rendered
with fit=track and fit=split, and the output checked frame by frame."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from core.media import analysis, camera, framing, tracking
from core.media.analysis import Analysis, Sample
from core.media.engine import Targets, render
from core.media.faces import Face, FaceFinder
from core.media.presets import BUILTIN, with_overrides
from core.media.probe import probe
from core.media.recipe import RecipeError, load_recipe
from core.media.validate import usable
from tests.conftest import make_settings
from tests.support.faces import Person, scene_video, still, stripes_offset, walking
from tests.support.media import video

SIZE = (640, 360)
RATE = 30
CUT = 3.5
CROP_W = 202  # the 9:16 crop of a 640x360 frame
PLAIN = {"captions": {"enabled": False}, "loudnorm": False}


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return make_settings(tmp_path_factory.mktemp("tracking"), x264_preset="ultrafast")


@pytest.fixture(scope="module")
def walk(tmp_path_factory, settings):
    """A face walking right at 0.15 frame widths a second; a hard cut at 3.5 s to a new shot
    with the face back on the left, walking on."""
    folder = tmp_path_factory.mktemp("walk")
    clip = scene_video(folder / "walk.mp4", [Person(walking(0.15, 0.15, cut_at=CUT, after_cut=0.2))],
                       seconds=6, size=SIZE, rate=RATE, cut_at=CUT)
    done = render(clip, Targets.beside(folder / "walk.short.mp4"),
                  load_recipe({**PLAIN, "reframe": {"mode": "track"}}), settings, lambda *_: None)
    return clip, done


def frames(path: Path, size: tuple[int, int], fps: float | None = None, crop: str = "") -> np.ndarray:
    """Every frame (or `fps` a second) of a video as RGB arrays at `size`, cropped first (w:h:x:y)."""
    chain = ",".join(filter(None, [f"fps={fps}" if fps else "", f"crop={crop}" if crop else "",
                                   f"scale={size[0]}:{size[1]}"]))
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-vf", chain, "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, size[1], size[0], 3)


def face_x(picture: np.ndarray) -> float | None:
    """Where the detector finds the most confident face, as a fraction of the picture's width."""
    found = FaceFinder().find(picture)
    return found[0].cx if found else None


def crop_left(output: Path, cut_frame: int) -> np.ndarray:
    """The crop's left edge in source pixels for every output frame, found by matching the stripes
    below the face against the background each shot was drawn on."""
    bands = frames(output, (CROP_W, SIZE[1]))[:, 300:350]
    return np.concatenate([stripes_offset(bands[:cut_frame], *SIZE, seed=1, scale=1.0),
                           stripes_offset(bands[cut_frame:], *SIZE, seed=2, scale=1.0)])


def test_a_walking_face_stays_in_the_middle_of_the_frame(walk) -> None:
    _clip, done = walk
    info = probe(done.targets.output)
    assert (info.video.width, info.video.height) == (1080, 1920)
    assert "Fit: track — 1 person found" in done.summary()
    sampled = frames(done.targets.output, (270, 480), fps=10)
    positions = [face_x(frame) for frame in sampled]
    inside = [x is not None and 0.2 <= x <= 0.8 for x in positions]
    assert sum(inside) >= 0.95 * len(positions), positions


def test_the_crop_moves_smoothly_and_cuts_with_the_shot_instead_of_panning(walk) -> None:
    _clip, done = walk
    cut = round(CUT * RATE)
    left = crop_left(done.targets.output, cut)
    steps = np.abs(np.diff(left))
    bound = camera.Motion().max_speed * CROP_W / RATE + 1.5  # the speed limit, plus matching error
    calm = np.delete(steps, [cut - 1])
    assert calm.max() <= bound, (calm.max(), bound)
    jump = abs(left[cut + 1] - left[cut - 2])
    assert jump > 250, "the frame jumps to the face's new place at the cut"
    settled = np.abs(left[cut + 2:cut + 10] - left[cut + 1])
    assert settled.max() < 3 * bound, "within 2 frames of the cut it is already there, not panning"
    assert steps[cut - 15:cut - 1].mean() > 0.5, "before the cut it was following the walk"


def test_two_people_far_apart_are_stacked_one_above_the_other(tmp_path, settings) -> None:
    clip = scene_video(tmp_path / "two.mp4", [Person(still(0.2), who="camera", height=0.55),
                                               Person(still(0.8))], seconds=2.5, size=SIZE, rate=RATE)
    done = render(clip, Targets.beside(tmp_path / "two.short.mp4"),
                  load_recipe({**PLAIN, "reframe": {"mode": "split"}}), settings, lambda *_: None)
    assert "Fit: split — 2 people found, two stacked top and bottom throughout" in done.summary()
    picture = frames(done.targets.output, (270, 480), fps=2)[2]
    top, bottom = picture[:240], picture[240:]
    for half in (top, bottom):
        found = FaceFinder().find(np.ascontiguousarray(half))
        assert len(found) == 1 and 0.25 <= found[0].cx <= 0.75, found
    saturation = [float(np.ptp(half.astype(int), axis=2).mean()) for half in (top, bottom)]
    assert saturation[0] < saturation[1], "the cameraman (black and white, on the left) is on top"


def test_the_frame_follows_the_one_whose_mouth_moves_while_speech_is_heard(tmp_path, settings) -> None:
    silent, talking = Person(still(0.22), height=0.6), Person(still(0.78), height=0.48, talking=True)
    clip = scene_video(tmp_path / "talk.mp4", [silent, talking], seconds=4, size=SIZE, rate=RATE,
                       speech="So here is the thing I wanted to tell you about our trip to the moon.")
    done = render(clip, Targets.beside(tmp_path / "talk.short.mp4"),
                  load_recipe({**PLAIN, "reframe": {"mode": "track"}}), settings, lambda *_: None)
    assert "2 people found, followed the speaker" in done.summary()
    left = crop_left(done.targets.output, cut_frame=10**6)
    centre = left + CROP_W / 2
    assert np.mean(np.abs(centre - 0.78 * SIZE[0]) < 20) >= 0.95, "the smaller, talking face is shown"
    src = usable(probe(clip), max_mb=100, max_minutes=5)
    seen = analysis.analyse(src, 0, src.duration_s, settings.data_dir).window(0, src.duration_s)
    quiet = framing.plan(seen, [], fit="track", frame=SIZE, crop=(CROP_W, 360), fps=RATE)
    assert "followed the most prominent face" in quiet.note, "with no speech heard, the larger face"


def test_no_face_means_a_centre_crop_and_the_summary_says_so(tmp_path, settings) -> None:
    clip = video(tmp_path / "pattern.mp4", seconds=1.5, size="640x360", audio=False)
    done = render(clip, Targets.beside(tmp_path / "pattern.short.mp4"),
                  load_recipe({**PLAIN, "reframe": {"mode": "track"}}), settings, lambda *_: None)
    assert "no face found — centre crop" in done.summary()
    shown = frames(done.targets.output, (90, 160), fps=2).astype(float)
    centre = frames(clip, (90, 160), fps=2, crop=f"{CROP_W}:360:{(640 - CROP_W) // 2}:0").astype(float)
    assert np.abs(shown - centre).mean() < 4


def test_a_source_is_analysed_once_even_under_another_name(walk, settings, tmp_path, monkeypatch) -> None:
    clip, _done = walk
    src = usable(probe(clip), max_mb=100, max_minutes=5)
    first = analysis.analyse(src, 1.0, 3.0, settings.data_dir)
    copy = tmp_path / "renamed.mp4"
    shutil.copyfile(clip, copy)

    def no_decoding(*_args, **_kwargs):
        raise AssertionError("the source was decoded again")

    monkeypatch.setattr(analysis.ffrun, "frames", no_decoding)
    again = analysis.analyse(usable(probe(copy), max_mb=100, max_minutes=5), 1.0, 3.0, settings.data_dir)
    assert again.window(1.0, 3.0) == first.window(1.0, 3.0)
    assert first.window(1.0, 3.0).samples and first.cuts == (CUT,)


def _faces(t: float, xs: list[float], talking: int | None) -> Sample:
    return Sample(t, tuple(Face(x, 0.4, 0.12, 0.2, 0.9, 0.3 if i == talking and round(t * 4) % 2 else 0.0)
                           for i, x in enumerate(xs)))


def test_the_subject_is_held_at_least_a_second_and_a_half_when_speakers_alternate_quickly() -> None:
    samples = tuple(_faces(i / 4, [0.25, 0.75], talking=(i // 3) % 2) for i in range(40))
    seen = Analysis(0.0, 10.0, samples, ())
    segments = tracking.plan(seen, tracking.build_tracks(seen), [(0.0, 10.0)])
    assert len(segments) >= 2
    assert all(s.end - s.start >= tracking.HOLD_S for s in segments[:-1])


def test_small_head_movements_do_not_move_the_frame_and_it_never_pans_too_fast() -> None:
    box = camera.Box(1920, 1080, 608, 1080)
    fps, count = 30, 300
    wobble = 960 + 12 * np.sin(np.arange(count) / 3)
    still_path = camera.follow([camera.Stretch(0, count, np.stack([wobble, np.full(count, 540)], 1), True)],
                               box, fps)
    assert np.ptp(still_path.x) < 1
    dash = np.where(np.arange(count) < 100, 500.0, 1500.0)
    moved = camera.follow([camera.Stretch(0, count, np.stack([dash, np.full(count, 540)], 1), True)],
                          box, fps)
    assert np.abs(np.diff(moved.x)).max() <= camera.Motion().max_speed * 608 / fps + 1e-6
    assert abs(moved.x[-1] + 304 - 1500) < 0.06 * 608


def test_the_path_expression_gives_the_path_frame_by_frame() -> None:
    box = camera.Box(1920, 1080, 608, 1080)
    aim = np.stack([np.linspace(400, 1500, 200), np.full(200, 540)], 1)
    jump = np.stack([np.full(100, 300.0), np.full(100, 540)], 1)
    path = camera.follow([camera.Stretch(0, 200, aim, True), camera.Stretch(200, 300, jump, True)], box, 30)
    assert path.cuts == (200,)
    text = path.x_expression()
    functions = {"clip": lambda v, a, b: min(max(v, a), b), "gte": lambda a, b: float(a >= b)}
    values = [eval(text, {**functions, "n": n}) for n in range(300)]
    assert np.abs(np.array(values) - path.x).max() <= camera.TOLERANCE_PX + 0.1


def test_fit_is_a_render_option_and_podcast_follows_the_speaker() -> None:
    assert with_overrides(BUILTIN["clean"].recipe, {"fit": "split"}).reframe.mode == "split"
    assert BUILTIN["podcast"].recipe.reframe.mode == "track"
    with pytest.raises(RecipeError, match="reframe.mode"):
        with_overrides(BUILTIN["clean"].recipe, {"fit": "zoom"})


def test_a_long_moving_path_is_a_crop_ffmpeg_accepts() -> None:
    box = camera.Box(640, 360, CROP_W, 360)
    count = 60 * RATE
    aim = np.stack([320 + 200 * np.sin(np.arange(count) / 45), np.full(count, 180)], 1)
    path = camera.follow([camera.Stretch(0, count // 2, aim[:count // 2], True),
                          camera.Stretch(count // 2, count, aim[count // 2:][::-1], True)], box, RATE)
    text = path.x_expression()
    assert text.count("clip(") > 200
    crop = f"crop=w={CROP_W}:h=360:x='{text}':y=0"
    blank = f"color=size=640x360:rate={RATE}:d=60"
    done = subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", blank, "-vf", crop,
                           "-f", "null", "-"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-300:]
    ten_minutes = np.tile(path.x, 10)
    assert camera.expression(ten_minutes, ()).count("clip(") <= camera.MAX_TERMS
