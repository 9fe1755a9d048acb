"""`ettametta render INPUT`: one render from the command line, no bot, queue or database needed.

The file is the user's own (they named it on their machine), so no rights record is
kept; the built-in presets are available, workspace presets live in the bot's database.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TextIO

from core.config import Settings
from core.media import presets
from core.media.engine import Targets, render
from core.media.probe import MediaError
from core.media.recipe import FITS, RecipeError
from core.messages import format_duration


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("render", help="render one video into a vertical short (no bot needed)")
    parser.add_argument("input", nargs="?", help="the video file to render")
    parser.add_argument("-o", "--output", help="where to write the short (default: INPUT.short.mp4)")
    parser.add_argument("--preset", default=presets.DEFAULT_PRESET,
                        help=f"a built-in preset (default {presets.DEFAULT_PRESET}; see --list-presets)")
    parser.add_argument("--captions", action=argparse.BooleanOptionalAction, default=None,
                        help="burn in word captions (default: as the preset says)")
    parser.add_argument("--auto-trim", type=float, metavar="N",
                        help="keep the best N seconds, chosen from the speech")
    parser.add_argument("--fit", choices=FITS,
                        help="how a wide video fills 9:16: crop (centre), blur (whole frame over a "
                             "blurred copy), track (follow the speaker), split (two people stacked); "
                             "default: as the preset says")
    parser.add_argument("--list-presets", action="store_true", help="list the presets and exit")
    parser.set_defaults(handler=cmd_render)


def cmd_render(settings: Settings, args: argparse.Namespace) -> int:
    if args.list_presets:
        for preset in presets.BUILTIN.values():
            print(f"{preset.name} — {preset.summary}\n{presets.explain(preset.recipe)}")
        return 0
    if not args.input:
        print("Give the video to render: ettametta render INPUT [-o OUT]", file=sys.stderr)
        return 2
    source = Path(args.input).expanduser().resolve()
    output = Path(args.output).expanduser().resolve() if args.output else source.with_suffix(".short.mp4")
    try:
        found = presets.builtin(args.preset)
        if found is None:
            raise RecipeError(f"There is no built-in preset {args.preset!r}: "
                              f"{', '.join(presets.BUILTIN)}.")
        recipe = presets.with_overrides(found.recipe, {"captions": args.captions,
                                                       "auto-trim": args.auto_trim, "fit": args.fit})
        result = render(source, Targets.beside(output), recipe, settings, ProgressLine(sys.stderr))
    except (MediaError, RecipeError) as exc:
        print(f"\nCannot render: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopped.", file=sys.stderr)
        return 130
    print(result.summary())
    print(f"Output: {result.targets.output}\nPreview: {result.targets.preview}\n"
          f"Thumbnail: {result.targets.thumbnail}")
    return 0


class ProgressLine:
    """One line redrawn in place on a terminal; a new line every 10% when piped to a file."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._last_decile = -1
        self._last_draw = 0.0

    def __call__(self, percent: float, text: str, eta: float | None) -> None:
        line = f"{percent:5.1f}% {text}" + (f", about {format_duration(eta)} left" if eta else "")
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw >= 0.2:
                self.stream.write(f"\r{line:<70}")
                self.stream.flush()
                self._last_draw = now
        elif int(percent // 10) != self._last_decile:
            self._last_decile = int(percent // 10)
            self.stream.write(line + "\n")
            self.stream.flush()
