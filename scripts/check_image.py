#!/usr/bin/env python3
"""Build the Dockerfile's image without a container engine, and check that ettametta runs in it.

No Docker engine runs on the machines this project is built on, so the image is verified
another way: debootstrap makes a Debian bookworm root (the distribution the Dockerfile's
`python:3.11-slim-bookworm` is built on, with Debian's Python 3.11 standing in for the
image's), then the Dockerfile itself is followed instruction by instruction inside it
(ENV, COPY honouring .dockerignore, WORKDIR, RUN through chroot, USER), so the recipe and
this check cannot drift apart: an instruction this script does not know stops it. Finally,
as the image's user with the image's environment: `ettametta db upgrade`, `ettametta
doctor`, and a short render of a spoken test clip whose output is probed.

Run as root on a Debian machine (scripts/check_image.sh installs debootstrap first):

    sudo scripts/check_image.sh [--cache DIR] [--keep]

The chroot reaches Debian's mirror and PyPI the way this machine does: the mirror is read
from /etc/apt/sources.list*, and /etc/resolv.conf, the local CA certificates
(/usr/local/share/ca-certificates), apt's Acquire settings and pip's system configuration
(/etc/pip.conf, /etc/xdg/pip) are copied in. Standard library only.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SUITE = "bookworm"
BASE_IMAGE = re.compile(r"python:3\.11(?:\.\d+)?-(?:slim-)?bookworm$")
# What python:3.11-slim-bookworm has that a minimal debootstrap lacks: Python with pip (and
# `python` on PATH, which the compose health checks call), CA certificates.
BASE_PACKAGES = ("python3", "python3-pip", "python-is-python3", "ca-certificates")
KNOWN = {"FROM", "ENV", "RUN", "COPY", "WORKDIR", "USER", "VOLUME", "EXPOSE", "ENTRYPOINT", "CMD",
         "LABEL", "ARG"}
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SPEECH = "This is the ettametta image check. The render worked."


class CheckFailed(RuntimeError):
    """A step of the check failed; the message says which and why."""


@dataclass(frozen=True)
class Instruction:
    keyword: str
    argument: str
    line: int


@dataclass
class Image:
    """What the Dockerfile has set so far: environment, working directory, user, entry point."""

    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"
    user: str = "root"
    entrypoint: list[str] = field(default_factory=list)


def parse_dockerfile(text: str) -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped.

    Raises CheckFailed for an instruction this check cannot follow.
    """
    instructions, pending, start = [], "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        start = start or number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, argument = (pending + line).strip().partition(" ")
        if keyword.upper() not in KNOWN:
            raise CheckFailed(f"Dockerfile line {start}: {keyword} is not an instruction this check "
                              "follows; teach scripts/check_image.py what it means")
        instructions.append(Instruction(keyword.upper(), argument.strip(), start))
        pending, start = "", 0
    return instructions


def exec_form(argument: str) -> list[str] | None:
    """`["a", "b"]` as a list, or None for the shell form."""
    if argument.startswith("["):
        return [str(part) for part in json.loads(argument)]
    return None


def env_pairs(argument: str) -> dict[str, str]:
    parts = shlex.split(argument)
    if len(parts) == 2 and "=" not in parts[0]:
        return {parts[0]: parts[1]}
    return dict(part.split("=", 1) for part in parts)


class DockerIgnore:
    """The .dockerignore patterns (`**/` prefixes and `!` exceptions), matched as Docker does for
    the simple patterns this project uses."""

    def __init__(self, path: Path) -> None:
        lines = path.read_text().splitlines() if path.exists() else []
        self.rules = [(line.startswith("!"), line.lstrip("!").strip().rstrip("/"))
                      for line in lines if line.strip() and not line.startswith("#")]

    def ignored(self, relative: str) -> bool:
        verdict = False
        for negated, pattern in self.rules:
            if self._matches(pattern, relative):
                verdict = not negated
        return verdict

    @staticmethod
    def _matches(pattern: str, relative: str) -> bool:
        parts = relative.split("/")
        prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        if pattern.startswith("**/"):
            return any(fnmatch.fnmatchcase(part, pattern[3:]) for part in parts)
        return any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes)


class Chroot:
    """A Debian root on disk, with /proc and /dev/shm mounted while it is used."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.mounted: list[Path] = []

    def __enter__(self) -> Chroot:
        for target, args in ((self.root / "proc", ["-t", "proc", "proc"]),
                             (self.root / "dev/shm", ["-t", "tmpfs", "-o", "mode=1777", "shm"])):
            target.mkdir(parents=True, exist_ok=True)
            run(["mount", *args, str(target)])
            self.mounted.append(target)
        return self

    def __exit__(self, *exc: object) -> None:
        for target in reversed(self.mounted):
            subprocess.run(["umount", "--lazy", str(target)], check=False)
        self.mounted.clear()

    def run(self, command: list[str], image: Image, *, user: str | None = None,
            capture: bool = False) -> subprocess.CompletedProcess[str]:
        """`command` inside the root as `user` (default: the image's), with the image's environment."""
        who = user or image.user
        home = "/root" if who == "root" else f"/home/{who}"
        env = {"PATH": PATH, "HOME": home, "LANG": "C.UTF-8", **image.env}
        argv = ["chroot", f"--userspec={who}:{who}", str(self.root), "/usr/bin/env", "-i",
                *(f"{k}={v}" for k, v in env.items()), "/bin/sh", "-c",
                f"cd {shlex.quote(image.workdir)} && exec \"$@\"", "sh", *command]
        return run(argv, capture=capture)


def run(argv: list[str], *, capture: bool = False) -> subprocess.CompletedProcess[str]:
    print("+ " + " ".join(shlex.quote(a) for a in argv[:12]) + (" …" if len(argv) > 12 else ""),
          flush=True)
    result = subprocess.run(argv, text=True, capture_output=capture, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout or "").strip()[-2000:] if capture else ""
        raise CheckFailed(f"exit {result.returncode}: {' '.join(argv[:8])} …\n{detail}")
    return result


def apt_sources() -> Iterator[tuple[str, list[str]]]:
    """(URI, suites) of every Debian source this machine's apt is configured with."""
    files = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in files:
        if not path.is_file():
            continue
        text = path.read_text()
        if path.suffix == ".sources":
            for stanza in re.split(r"\n\s*\n", text):
                fields = dict(re.findall(r"^(\w[\w-]*):\s*(.+)$", stanza, re.M))
                for uri in fields.get("URIs", "").split():
                    yield uri, fields.get("Suites", "").split()
        else:
            for line in text.splitlines():
                parts = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
                if len(parts) >= 3 and parts[0] == "deb":
                    yield parts[1], [parts[2]]


def mirrors() -> tuple[str, str]:
    """The Debian archive and security mirrors this machine reaches (for bookworm)."""
    sources = list(apt_sources())
    archive = next((uri for uri, suites in sources if SUITE in suites), None)
    security = next((uri for uri, suites in sources if f"{SUITE}-security" in suites), None)
    if archive is None:
        raise CheckFailed(f"no Debian {SUITE} mirror in /etc/apt/sources.list*; pass --mirror")
    return archive.rstrip("/"), (security or "http://deb.debian.org/debian-security").rstrip("/")


def debootstrap(target: Path, archive: str) -> None:
    run(["debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}", SUITE,
         str(target), archive])


def reach_registries_like_this_machine(root: Path, archive: str, security: str) -> None:
    """DNS, CA certificates, apt's Acquire settings and pip's configuration, as on this machine."""
    shutil.copy2("/etc/resolv.conf", root / "etc/resolv.conf")
    (root / "etc/apt/sources.list").write_text(
        f"deb {archive} {SUITE} main\ndeb {archive} {SUITE}-updates main\n"
        f"deb {security} {SUITE}-security main\n")
    acquire = subprocess.run(["apt-config", "dump", "Acquire"], capture_output=True, text=True,
                             check=False).stdout
    (root / "etc/apt/apt.conf.d/99host-acquire").write_text(acquire)
    local_ca = Path("/usr/local/share/ca-certificates")
    if local_ca.is_dir():
        shutil.copytree(local_ca, root / "usr/local/share/ca-certificates", dirs_exist_ok=True)
    for config in (Path("/etc/pip.conf"), Path("/etc/xdg/pip")):
        if config.is_file():
            shutil.copy2(config, root / config.relative_to("/"))
        elif config.is_dir():
            shutil.copytree(config, root / config.relative_to("/"), dirs_exist_ok=True)


def python_image_stand_in(chroot: Chroot) -> None:
    """Make the Debian root behave like python:3.11-slim-bookworm: CA bundle with the local
    certificates, and pip allowed to install into the system Python as it is in that image."""
    root_image = Image()
    chroot.run(["update-ca-certificates"], root_image)
    for marker in (chroot.root / "usr/lib").glob("python3*/EXTERNALLY-MANAGED"):
        marker.unlink()


def copy_into(source_paths: list[str], dest: str, chroot: Chroot, image: Image,
              ignore: DockerIgnore) -> None:
    """COPY: sources relative to the repository (the build context), honouring .dockerignore."""
    target = chroot.root / (dest if dest.startswith("/") else f"{image.workdir}/{dest}").lstrip("/")
    many = len(source_paths) > 1 or dest.endswith("/")
    for source in source_paths:
        path = REPO / source
        if ignore.ignored(source):
            raise CheckFailed(f"COPY {source}: .dockerignore leaves it out of the build context")
        if path.is_dir():
            shutil.copytree(path, target, dirs_exist_ok=True, ignore=_ignored_below(path, ignore))
        else:
            destination = target / path.name if many else target
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)


def _ignored_below(top: Path, ignore: DockerIgnore):  # type: ignore[no-untyped-def]
    def names(folder: str, entries: list[str]) -> list[str]:
        relative = Path(folder).relative_to(REPO)
        return [e for e in entries if ignore.ignored(str(relative / e))]

    return names


def follow_dockerfile(chroot: Chroot, instructions: list[Instruction]) -> Image:
    image, ignore = Image(), DockerIgnore(REPO / ".dockerignore")
    for step in instructions:
        print(f"\n== Dockerfile line {step.line}: {step.keyword} {step.argument[:100]}", flush=True)
        if step.keyword == "FROM":
            if not BASE_IMAGE.match(step.argument):
                raise CheckFailed(f"FROM {step.argument}: this check stands in for python:3.11 on "
                                  f"{SUITE}; update BASE_IMAGE and the debootstrap base together")
        elif step.keyword == "ENV":
            image.env.update(env_pairs(step.argument))
        elif step.keyword == "WORKDIR":
            image.workdir = step.argument
            (chroot.root / step.argument.lstrip("/")).mkdir(parents=True, exist_ok=True)
        elif step.keyword == "COPY":
            *sources, dest = exec_form(step.argument) or shlex.split(step.argument)
            copy_into(sources, dest, chroot, image, ignore)
        elif step.keyword == "RUN":
            chroot.run(exec_form(step.argument) or ["/bin/sh", "-c", step.argument], image)
        elif step.keyword == "USER":
            image.user = step.argument
        elif step.keyword == "ENTRYPOINT":
            image.entrypoint = exec_form(step.argument) or ["/bin/sh", "-c", step.argument]
    if not image.entrypoint:
        raise CheckFailed("the Dockerfile has no ENTRYPOINT to run ettametta with")
    return image


def check_ettametta(chroot: Chroot, image: Image) -> dict[str, object]:
    """db upgrade, doctor, and a short render of a spoken clip, as the image's user."""
    data = image.env.get("DATA_DIR", "/data")
    image = Image({**image.env, "X264_PRESET": "ultrafast"}, image.workdir, image.user, image.entrypoint)
    chroot.run([*image.entrypoint, "db", "upgrade"], image)
    doctor = chroot.run([*image.entrypoint, "doctor"], image, capture=True)
    print(doctor.stdout)
    speech, clip, out = "/tmp/check-speech.wav", "/tmp/check-input.mp4", "/tmp/check-short.mp4"
    chroot.run(["espeak-ng", "-w", speech, SPEECH], image)
    chroot.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
                "-i", speech, "-shortest", "-c:v", "libx264", "-preset", "ultrafast",
                "-c:a", "aac", "-pix_fmt", "yuv420p", "--", clip], image)
    render = chroot.run([*image.entrypoint, "render", clip, "-o", out], image, capture=True)
    print(render.stdout)
    words = re.search(r"captions from (\d+) words", render.stdout)
    if not words or int(words.group(1)) == 0:
        raise CheckFailed("the render burnt in no captions: the speech model did not hear the clip")
    probe = chroot.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_streams",
                        "-show_format", "--", out], image, capture=True)
    streams = json.loads(probe.stdout)["streams"]
    video = next((s for s in streams if s["codec_type"] == "video"), None)
    if video is None or not any(s["codec_type"] == "audio" for s in streams):
        raise CheckFailed(f"the render has no video or no audio stream: {streams}")
    if int(video["height"]) <= int(video["width"]):
        raise CheckFailed(f"the render is not vertical: {video['width']}x{video['height']}")
    loose = chroot.run(["find", data, "-perm", "/077"], image, capture=True).stdout.split()
    if loose:
        raise CheckFailed(f"files in {data} readable by others: {loose}")
    return {"doctor": doctor.stdout.strip().splitlines()[-1],
            "render": f"{video['codec_name']} {video['width']}x{video['height']}, "
                      f"captions from {words.group(1)} words"}


def base_root(cache: Path | None, work: Path, archive: str) -> tuple[Path, float]:
    """A fresh copy of the debootstrapped base (made once per cache), and the seconds it took."""
    started = time.monotonic()
    root = work / "root"
    if cache is None:
        debootstrap(root, archive)
        return root, time.monotonic() - started
    base = cache / f"{SUITE}-base"
    if not (base / "usr/bin/python3").exists():
        shutil.rmtree(base, ignore_errors=True)
        debootstrap(base, archive)
    run(["cp", "-a", str(base), str(root)])
    return root, time.monotonic() - started


def remove_root(root: Path) -> None:
    """Delete the root, but never through a mount point that is still mounted."""
    mounts = Path("/proc/mounts").read_text().split("\n")
    inside = [line for line in mounts if f" {root}/" in line or f" {root} " in line]
    if inside:
        raise CheckFailed(f"not removing {root}: still mounted: {inside}")
    shutil.rmtree(root)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path,
                        help="keep the debootstrapped base here and reuse it next time")
    parser.add_argument("--keep", action="store_true", help="leave the built root in place")
    parser.add_argument("--mirror", help="Debian mirror (default: the one in /etc/apt/sources.list*)")
    parser.add_argument("--workdir", type=Path, help="where to build (default: a new folder in /var/tmp)")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("check_image: debootstrap, mount and chroot need root", file=sys.stderr)
        return 2
    instructions = parse_dockerfile((REPO / "Dockerfile").read_text())
    archive, security = mirrors()
    archive = (args.mirror or archive).rstrip("/")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="ettametta-image-", dir="/var/tmp"))
    timings: dict[str, float] = {}
    started = time.monotonic()
    root, timings["debootstrap"] = base_root(args.cache, work, archive)
    try:
        reach_registries_like_this_machine(root, archive, security)
        with Chroot(root) as chroot:
            python_image_stand_in(chroot)
            step = time.monotonic()
            image = follow_dockerfile(chroot, instructions)
            timings["dockerfile"] = time.monotonic() - step
            step = time.monotonic()
            outcome = check_ettametta(chroot, image)
            timings["checks"] = time.monotonic() - step
    except CheckFailed as exc:
        print(f"\nIMAGE CHECK FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            remove_root(root)
            if args.workdir is None:
                shutil.rmtree(work, ignore_errors=True)
    timings["total"] = time.monotonic() - started
    print("\nIMAGE CHECK PASSED: " + "; ".join(f"{k} {v}" for k, v in outcome.items()))
    print("seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
