"""Benchmark: the `bold-captions` render of a 60 s 1920x1080 30 fps clip with speech.

Measured in one run, same encoder settings (libx264 veryfast, CRF 21, AAC):
  * baseline: a bare transcode to 1080x1920 (centre crop + scale only);
  * our single ffmpeg pass of the full edit (reframe, mirror, zoom, grade, captions,
    punch-ins, loudness) ÷ the baseline — target ≤ 1.25;
  * the whole `ettametta render` command (start-up, probe, transcription, pass, preview,
    thumbnail) ÷ the baseline — target ≤ 1.5;
  * the same edit in MoviePy ÷ our whole command — target ≥ 6;
  * transcription realtime factor of the bundled tiny.en — target ≥ 20x;
  * peak memory (largest process) of our command and of MoviePy.

    .venv/bin/python bench/render.py [--seconds 60] [--skip-moviepy]
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
from core.media import captions, encoders, graph, loudness, presets  # noqa: E402
from core.media.probe import probe  # noqa: E402
from core.media.transcribe import SAMPLE_RATE, decode, load_model, transcribe  # noqa: E402
from core.media.validate import usable  # noqa: E402
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
    parser.add_argument("--moviepy-only", nargs=2, metavar=("SRC", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.moviepy_only:
        moviepy_edit(Path(args.moviepy_only[0]), Path(args.moviepy_only[1]))
        return
    settings = load_settings(video_encoder="x264")
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        folder = Path(tmp)
        print(f"making a {args.seconds:g} s 1920x1080 30 fps input with speech…", flush=True)
        src = make_input(folder, args.seconds)
        bare, bare_cpu, _ = measured(bare_transcode(src, folder / "bare.mp4", settings))
        edit_argv, transcribe_s, transcribe_cpu, words = our_pass(src, folder / "pass.mp4", folder, settings)
        edit, edit_cpu, _ = measured(edit_argv)
        whole, whole_cpu, our_rss = measured([str(ROOT / ".venv/bin/ettametta"), "render", str(src), "-o",
                                              str(folder / "whole.mp4"), "--preset", PRESET])
        results = {
            "seconds": args.seconds, "words": words,
            "wall_s": {"bare": round(bare, 2), "edit_pass": round(edit, 2), "whole": round(whole, 2),
                       "transcribe": round(transcribe_s, 2)},
            "cpu_s": {"bare": round(bare_cpu, 2), "edit_pass": round(edit_cpu, 2),
                      "whole": round(whole_cpu, 2), "transcribe": round(transcribe_cpu, 2)},
            "pass_vs_bare": {"wall": round(edit / bare, 3), "cpu": round(edit_cpu / bare_cpu, 3)},
            "whole_vs_bare": {"wall": round(whole / bare, 3), "cpu": round(whole_cpu / bare_cpu, 3)},
            "transcription_realtime": {"wall": round(args.seconds / transcribe_s, 1),
                                       "cpu_2_threads": round(2 * args.seconds / transcribe_cpu, 1)},
            "our_peak_rss_mb": round(our_rss),
        }
        if not args.skip_moviepy:
            moviepy, moviepy_cpu, moviepy_rss = measured([sys.executable, str(Path(__file__).resolve()),
                                                          "--moviepy-only", str(src),
                                                          str(folder / "moviepy.mp4")])
            results |= {"moviepy_s": {"wall": round(moviepy, 2), "cpu": round(moviepy_cpu, 2)},
                        "moviepy_vs_ours": {"wall": round(moviepy / whole, 2),
                                            "cpu": round(moviepy_cpu / whole_cpu, 2)},
                        "moviepy_peak_rss_mb": round(moviepy_rss)}
    print(json.dumps(results, indent=2))
    for name, key, target in (("edit pass ÷ bare transcode", "pass_vs_bare", "≤ 1.25"),
                              ("whole command ÷ bare transcode", "whole_vs_bare", "≤ 1.5"),
                              ("MoviePy ÷ our whole command", "moviepy_vs_ours", "≥ 6")):
        if key in results:
            ratio = results[key]
            print(f"{name}: {ratio['wall']:.2f}x wall, {ratio['cpu']:.2f}x CPU (target {target})")
    speed = results["transcription_realtime"]
    print(f"transcription: {speed['wall']:.0f}x realtime wall, {speed['cpu_2_threads']:.0f}x on 2 idle "
          "threads (target ≥ 20x)")
    print(f"peak memory: ours {results['our_peak_rss_mb']} MB"
          + (f", MoviePy {results['moviepy_peak_rss_mb']} MB" if "moviepy_peak_rss_mb" in results else ""))


if __name__ == "__main__":
    main()
