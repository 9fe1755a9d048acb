"""Benchmark: the `bold-captions` render of a 60 s 1920x1080 30 fps clip with speech, and
(section `tracking`) following a moving face with `fit=track`.

Measured in one run, same encoder settings (libx264 veryfast, CRF 21, AAC):
  * baseline: a bare transcode to 1080x1920 (centre crop + scale only);
  * our single ffmpeg pass of the full edit (reframe, mirror, zoom, grade, captions,
    punch-ins, loudness) ÷ the baseline — target ≤ 1.25;
  * the whole `ettametta render` command (start-up, probe, transcription, pass, preview,
    thumbnail) ÷ the baseline — target ≤ 1.5;
  * the same edit in MoviePy ÷ our whole command — target ≥ 6;
  * transcription realtime factor of the bundled tiny.en — target ≥ 20x;
  * peak memory (largest process) of our command and of MoviePy.

Tracking section, on a 60 s 1920x1080 clip of a real face (scikit-image's astronaut) walking
back and forth in front of a photograph with a camera's grain, a hard cut to another photograph
half-way, encoded like a download (x264 veryfast with B-frames, 4 Mbit/s):
  * the face analysis (decode at 4 fps + detection) ÷ the source duration — target ≤ 0.1;
  * the single pass with the moving crop ÷ the bare transcode — target ≤ 1.25;
  * the whole `ettametta render --fit track` command ÷ the bare transcode — target ≤ 1.4;
  * tracking error: median (and 95th percentile) distance of the face centre from the centre
    of the output frame, in % of the frame width, found by the detector on 5 output frames a second.

    .venv/bin/python bench/render.py [--seconds 60] [--skip-moviepy] [--section all|edit|tracking]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.config import load_settings  # noqa: E402
from core.media import analysis, captions, encoders, framing, graph, loudness, presets  # noqa: E402
from core.media.faces import FaceFinder  # noqa: E402
from core.media.probe import probe  # noqa: E402
from core.media.transcribe import SAMPLE_RATE, decode, load_model, transcribe  # noqa: E402
from core.media.validate import usable  # noqa: E402
from tests.support.faces import Person, scene_video, walking  # noqa: E402
from tests.support.media import video  # noqa: E402

PRESET = "bold-captions"
TEXT = ("Why does nobody tell you this? Editing short videos is not about fancy effects. "
        "It is about keeping attention. Every few seconds something should change: a cut, a zoom, "
        "a new caption. Viewers decide in the first second whether to stay. So open with the "
        "question, show the answer quickly, and keep your captions big and easy to read. ")


def make_input(folder: Path, seconds: float) -> Path:
    speech = " ".join([TEXT] * max(1, int(seconds / 20) + 1))
    return video(folder / "input.mp4", seconds=seconds, size="1920x1080", rate=30, speech=speech)


def bare_transcode(src: Path, out: Path, settings) -> list[str]:
    """The baseline: crop to 9:16 and scale to 1080x1920, nothing else, same encoder settings."""
    import ffmpeg

    info = probe(src).video
    w, h, x, y = graph.crop_box(info.width, info.height, 1.0)
    stream = ffmpeg.input(str(src))
    picture = stream.video.filter("crop", w=w, h=h, x=x, y=y).filter("scale", w=1080, h=1920)
    choice = encoders.choose("x264", encoders.Capabilities(frozenset(), False))
    cmd = ffmpeg.output(picture, stream.audio, str(out), acodec="aac", audio_bitrate="160k",
                        movflags="+faststart", **encoders.video_args(choice, settings))
    return cmd.global_args("-hide_banner", "-nostdin", "-loglevel", "error").overwrite_output().compile()


def our_pass(src: Path, out: Path, folder: Path, settings) -> tuple[list[str], float, float, int]:
    """Transcribe, then build the single pass of the full edit: (argv, wall s, CPU s, words)."""
    recipe = presets.BUILTIN[PRESET].recipe
    source = usable(probe(src), max_mb=settings.max_input_mb, max_minutes=settings.max_input_minutes)
    load_model(settings.whisper_model)
    began, cpu = time.monotonic(), time.process_time()
    samples = decode(src)
    words = transcribe(samples, model_name=settings.whisper_model)
    transcribe_s, transcribe_cpu = time.monotonic() - began, time.process_time() - cpu
    ass = captions.write_ass(words, recipe.captions, folder / "captions.ass")
    choice = encoders.choose("x264", encoders.Capabilities(frozenset(), False))
    leveling = loudness.plan(src, 0.0, source.duration_s, loudness.speech_level(samples, SAMPLE_RATE))
    job = graph.Pass(source, recipe, 0.0, source.duration_s, out, encoders.video_args(choice, settings),
                     ass, captions.fonts_dir(recipe.captions.font), leveling=leveling)
    return graph.argv(job), transcribe_s, transcribe_cpu, len(words)


def measured(argv: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user+system, whole process tree) and peak RSS in MB (largest
    process) of a command run from a fresh process. CPU time is what to compare on a shared
    machine: other people's load stretches wall time but not the work a command does."""
    probe_code = ("import resource, subprocess, sys, time; t = time.monotonic(); "
                  "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
                  "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
                  "print(time.monotonic() - t, u.ru_utime + u.ru_stime, u.ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe_code, *argv], capture_output=True, text=True,
                         check=True).stdout.split()
    return float(out[0]), float(out[1]), float(out[2]) / 1024


def moviepy_edit(src: Path, out: Path) -> None:
    """The same edit in MoviePy 2: crop+zoom, mirror, contrast/saturation, punch-ins, captions."""
    import numpy as np
    from moviepy import CompositeVideoClip, TextClip, VideoFileClip, vfx
    from PIL import Image, ImageFont

    recipe = presets.BUILTIN[PRESET].recipe
    settings = load_settings()
    words = transcribe(decode(src), model_name=settings.whisper_model)
    clip = VideoFileClip(str(src))
    w, h, x, y = graph.crop_box(clip.w, clip.h, recipe.zoom)
    clip = clip.with_effects([vfx.Crop(x1=x, y1=y, width=w, height=h), vfx.MirrorX(),
                              vfx.LumContrast(contrast=0.12)])

    def saturate(frame: np.ndarray) -> np.ndarray:
        grey = frame.mean(axis=2, keepdims=True)
        return np.clip(grey + (frame - grey) * 1.35, 0, 255).astype("uint8")

    every, length, strength = (recipe.interrupts.every_s or 4.0, recipe.interrupts.duration_s,
                               recipe.interrupts.strength)

    def punch(get_frame, t: float) -> np.ndarray:
        frame = get_frame(t)
        if t >= every and t % every < length:
            fh, fw = frame.shape[:2]
            cw, ch = int(fw / strength), int(fh / strength)
            crop = frame[(fh - ch) // 2:(fh + ch) // 2, (fw - cw) // 2:(fw + cw) // 2]
            frame = np.asarray(Image.fromarray(crop).resize((fw, fh)))
        return frame

    clip = clip.image_transform(saturate).transform(punch).with_effects([vfx.Resize((1080, 1920))])
    font = str(Path(captions.fonts_dir("Inter") or "/usr/share/fonts") / "Inter-Black.otf")
    size = recipe.captions.size
    measure = ImageFont.truetype(font, size)
    layers = [clip]
    for page in captions.pages(words, recipe.captions):
        flat = [word for line in page for word in line]
        lines = [[w.word.upper() for w in line] for line in page]
        page_end = flat[-1].end + 0.4
        base = TextClip(font=font, text="\n".join(" ".join(line) for line in lines), font_size=size,
                        color="white", stroke_color="black", stroke_width=5, method="label",
                        text_align="center")
        layers.append(base.with_start(flat[0].start).with_duration(max(0.05, page_end - flat[0].start))
                      .with_position(("center", "center")))
        top = (1920 - base.h) / 2
        index = 0
        for row, line in enumerate(lines):
            left = (1080 - measure.getlength(" ".join(line))) / 2
            for position, text in enumerate(line):
                word = flat[index]
                end = flat[index + 1].start if index + 1 < len(flat) else page_end
                x = left + measure.getlength(" ".join(line[:position]) + (" " if position else ""))
                highlight = TextClip(font=font, text=text, font_size=size, color="#FFD400",
                                     stroke_color="black", stroke_width=5, method="label")
                layers.append(highlight.with_start(word.start).with_duration(max(0.05, end - word.start))
                              .with_position((x, top + row * base.h / len(lines))))
                index += 1
    CompositeVideoClip(layers, size=(1080, 1920)).write_videofile(
        str(out), codec="libx264", preset="veryfast", ffmpeg_params=["-crf", "21"], audio_codec="aac",
        threads=2, logger=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--skip-moviepy", action="store_true")
    parser.add_argument("--section", choices=("all", "edit", "tracking"), default="all")
    parser.add_argument("--moviepy-only", nargs=2, metavar=("SRC", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.moviepy_only:
        moviepy_edit(Path(args.moviepy_only[0]), Path(args.moviepy_only[1]))
        return
    settings = load_settings(video_encoder="x264")
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        if args.section in ("all", "edit"):
            edit_section(Path(tmp), args.seconds, args.skip_moviepy, settings)
        if args.section in ("all", "tracking"):
            tracking_section(Path(tmp), args.seconds, settings)


def edit_section(folder: Path, seconds: float, skip_moviepy: bool, settings) -> None:
    print(f"making a {seconds:g} s 1920x1080 30 fps input with speech…", flush=True)
    src = make_input(folder, seconds)
    bare, bare_cpu, _ = measured(bare_transcode(src, folder / "bare.mp4", settings))
    edit_argv, transcribe_s, transcribe_cpu, words = our_pass(src, folder / "pass.mp4", folder, settings)
    edit, edit_cpu, _ = measured(edit_argv)
    whole, whole_cpu, our_rss = measured([str(ROOT / ".venv/bin/ettametta"), "render", str(src), "-o",
                                          str(folder / "whole.mp4"), "--preset", PRESET])
    results = {
        "seconds": seconds, "words": words,
        "wall_s": {"bare": round(bare, 2), "edit_pass": round(edit, 2), "whole": round(whole, 2),
                   "transcribe": round(transcribe_s, 2)},
        "cpu_s": {"bare": round(bare_cpu, 2), "edit_pass": round(edit_cpu, 2),
                  "whole": round(whole_cpu, 2), "transcribe": round(transcribe_cpu, 2)},
        "pass_vs_bare": {"wall": round(edit / bare, 3), "cpu": round(edit_cpu / bare_cpu, 3)},
        "whole_vs_bare": {"wall": round(whole / bare, 3), "cpu": round(whole_cpu / bare_cpu, 3)},
        "transcription_realtime": {"wall": round(seconds / transcribe_s, 1),
                                   "cpu_2_threads": round(2 * seconds / transcribe_cpu, 1)},
        "our_peak_rss_mb": round(our_rss),
    }
    if not skip_moviepy:
        moviepy, moviepy_cpu, moviepy_rss = measured([sys.executable, str(Path(__file__).resolve()),
                                                      "--moviepy-only", str(src),
                                                      str(folder / "moviepy.mp4")])
        results |= {"moviepy_s": {"wall": round(moviepy, 2), "cpu": round(moviepy_cpu, 2)},
                    "moviepy_vs_ours": {"wall": round(moviepy / whole, 2),
                                        "cpu": round(moviepy_cpu / whole_cpu, 2)},
                    "moviepy_peak_rss_mb": round(moviepy_rss)}
    print(json.dumps(results, indent=2))
    print_ratios(results, (("edit pass ÷ bare transcode", "pass_vs_bare", "≤ 1.25"),
                           ("whole command ÷ bare transcode", "whole_vs_bare", "≤ 1.5"),
                           ("MoviePy ÷ our whole command", "moviepy_vs_ours", "≥ 6")))
    speed = results["transcription_realtime"]
    print(f"transcription: {speed['wall']:.0f}x realtime wall, {speed['cpu_2_threads']:.0f}x on 2 idle "
          "threads (target ≥ 20x)")
    print(f"peak memory: ours {results['our_peak_rss_mb']} MB"
          + (f", MoviePy {results['moviepy_peak_rss_mb']} MB" if "moviepy_peak_rss_mb" in results else ""))


def print_ratios(results: dict, rows: tuple[tuple[str, str, str], ...]) -> None:
    for name, key, target in rows:
        if key in results:
            ratio = results[key]
            print(f"{name}: {ratio['wall']:.2f}x wall, {ratio['cpu']:.2f}x CPU (target {target})")


def make_walking_face(folder: Path, seconds: float) -> Path:
    """A face walking at ~0.1 frame widths a second, bouncing at the edges, in front of a photo
    with a camera's grain, a hard cut to another photo half-way; 4 Mbit/s, as 1080p downloads are."""
    cut = seconds / 2
    person = Person(walking(0.2, 0.1, cut_at=cut, after_cut=0.75), height=0.45)
    speech = " ".join([TEXT] * max(1, int(seconds / 20) + 1))
    return scene_video(folder / "face.mp4", [person], seconds=seconds, size=(1920, 1080), rate=30,
                       cut_at=cut, speech=speech, preset="veryfast", photo=True, grain=6, bitrate="4M")


def measured_analysis(src: Path, data_dir: Path) -> tuple[float, float, int, int]:
    """Wall and CPU seconds (this process and its ffmpeg) of one uncached analysis, in a fresh
    process so the detector's loading counts too; and the samples and cuts it found."""
    code = ("import json, resource, sys, time; sys.path.insert(0, sys.argv[1]); "
            "from core.media import analysis; from core.media.probe import probe; "
            "from core.media.validate import usable; "
            "src = usable(probe(sys.argv[2]), max_mb=10**5, max_minutes=600); "
            "t, c = time.monotonic(), time.process_time(); "
            "found = analysis.analyse(src, 0, src.duration_s, __import__('pathlib').Path(sys.argv[3])); "
            "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
            "print(json.dumps([time.monotonic() - t, time.process_time() - c + u.ru_utime + u.ru_stime, "
            "len(found.samples), len(found.cuts)]))")
    out = subprocess.run([sys.executable, "-c", code, str(ROOT), str(src), str(data_dir)],
                         capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    wall, cpu, samples, cuts = json.loads(out)
    return wall, cpu, samples, cuts


def track_pass(src: Path, out: Path, data_dir: Path, settings) -> list[str]:
    """The single pass of a `clean --fit track` render without captions (the analysis is cached)."""
    recipe = presets.with_overrides(presets.BUILTIN["clean"].recipe, {"fit": "track", "captions": False})
    source = usable(probe(src), max_mb=settings.max_input_mb, max_minutes=settings.max_input_minutes)
    seen = analysis.analyse(source, 0, source.duration_s, data_dir).window(0, source.duration_s)
    w, h, _x, _y = graph.crop_box(source.width, source.height, 1.0)
    framed = framing.plan(seen, [], fit="track", frame=(source.width, source.height), crop=(w, h),
                          fps=source.out_fps)
    choice = encoders.choose("x264", encoders.Capabilities(frozenset(), False))
    job = graph.Pass(source, recipe, 0.0, source.duration_s, out, encoders.video_args(choice, settings),
                     framing=framed)
    return graph.argv(job)


def tracking_error(output: Path) -> tuple[float, float, int]:
    """Median and 95th-percentile distance of the face from the frame's centre (% of its width),
    and how many of the sampled frames showed no face."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(output), "-vf", "fps=5,scale=540:960",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    import numpy as np

    pictures = np.frombuffer(raw, np.uint8).reshape(-1, 960, 540, 3)
    finder, offsets, missed = FaceFinder(), [], 0
    for picture in pictures:
        faces = finder.find(picture)
        if faces:
            offsets.append(abs(faces[0].cx - 0.5) * 100)
        else:
            missed += 1
    return float(np.median(offsets)), float(np.percentile(offsets, 95)), missed


def tracking_section(folder: Path, seconds: float, settings) -> None:
    print(f"making a {seconds:g} s 1920x1080 30 fps input with a walking face and speech…", flush=True)
    src = make_walking_face(folder, seconds)
    cache = folder / "data"
    bare, bare_cpu, _ = measured(bare_transcode(src, folder / "face-bare.mp4", settings))
    look, look_cpu, samples, cuts = measured_analysis(src, cache)
    one_pass, pass_cpu, _ = measured(track_pass(src, folder / "face-pass.mp4", cache, settings))
    env_data = folder / "data-whole"
    whole, whole_cpu, rss = measured(["env", f"DATA_DIR={env_data}", str(ROOT / ".venv/bin/ettametta"),
                                      "render", str(src), "-o", str(folder / "face-whole.mp4"),
                                      "--fit", "track"])
    median, p95, missed = tracking_error(folder / "face-whole.mp4")
    results = {
        "seconds": seconds, "samples": samples, "cuts": cuts,
        "wall_s": {"bare": round(bare, 2), "analysis": round(look, 2), "track_pass": round(one_pass, 2),
                   "whole_track": round(whole, 2)},
        "cpu_s": {"bare": round(bare_cpu, 2), "analysis": round(look_cpu, 2),
                  "track_pass": round(pass_cpu, 2), "whole_track": round(whole_cpu, 2)},
        "analysis_vs_duration": {"wall": round(look / seconds, 3), "cpu": round(look_cpu / seconds, 3)},
        "track_pass_vs_bare": {"wall": round(one_pass / bare, 3), "cpu": round(pass_cpu / bare_cpu, 3)},
        "whole_track_vs_bare": {"wall": round(whole / bare, 3), "cpu": round(whole_cpu / bare_cpu, 3)},
        "tracking_error_pct": {"median": round(median, 1), "p95": round(p95, 1),
                               "frames_without_a_face": missed},
        "whole_peak_rss_mb": round(rss),
    }
    print(json.dumps(results, indent=2))
    ratio = results["analysis_vs_duration"]
    print(f"face analysis ÷ source duration: {ratio['wall']:.3f} wall, {ratio['cpu']:.3f} CPU seconds per "
          "second (target ≤ 0.1 wall on 2 cores)")
    print_ratios(results, (("track pass ÷ bare transcode", "track_pass_vs_bare", "≤ 1.25"),
                           ("whole track render ÷ bare transcode", "whole_track_vs_bare", "≤ 1.4")))
    print(f"tracking error: median {median:.1f}%, 95th percentile {p95:.1f}% of the frame width from "
          f"its centre; {missed} sampled frames without a face")


if __name__ == "__main__":
    main()
