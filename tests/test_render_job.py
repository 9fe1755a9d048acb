"""/render end to end: rights recorded, a real worker renders, results and failures reach the chat."""

from __future__ import annotations

import functools
import http.server
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from core.identity import Caller
from core.invoke import run_text
from core.media import records
from core.models import Candidate, Job, JobState, Render, RightsBasis, Source
from tests.conftest import ThreadWorker, make_settings
from tests.support.console import run_script
from tests.support.media import video

SPEECH = "Here is a short test of the render engine with captions"


def renders(services) -> list[Render]:
    with services.db.session() as session:
        return list(session.scalars(select(Render).order_by(Render.id)))


def jobs_of(services, kind: str) -> list[Job]:
    with services.db.session() as session:
        return list(session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id)))


def test_a_console_render_posts_the_short_its_preview_and_thumbnail(services, worker, tmp_path) -> None:
    clip = video(tmp_path / "talk.mp4", seconds=2.5, size="480x270", speech=SPEECH)
    out = run_script(services, [f"/render {clip} bold-captions punch-every=1.5"])
    assert "Started job #1: render #1 of talk (bold-captions)" in out
    assert "Job #1 render [" in out, "progress is shown (intermediate steps may be coalesced)"
    assert "Render #1 is ready. Rendered 2.5 s at 1080x1920" in out and "libx264" in out
    [render] = renders(services)
    folder = services.settings.media_dir / "renders" / "1"
    assert render.state == "done" and render.preset == "bold-captions" and render.encoder == "libx264"
    assert (render.width, render.height) == (1080, 1920) and render.size_bytes > 0
    assert Path(render.output_path) == folder / "render.mp4"
    for name in ("render.mp4", "preview.mp4", "thumbnail.png"):
        assert (folder / name).is_file() and f"{folder / name}" in out
    assert render.recipe["interrupts"]["every_s"] == 1.5 and render.recipe["mirror"] is True
    assert len(render.transcript) >= 6
    assert all(set(w) == {"word", "start", "end"} and 0 <= w["start"] <= w["end"] <= 2.6
               for w in render.transcript)
    with services.db.session() as session:
        source = session.get_one(Source, render.source_id)
        assert source.rights_basis == RightsBasis.owned and source.attested_by is not None
    [propose] = jobs_of(services, "propose")
    assert propose.payload == {"render_id": 1} and propose.idempotency_key == "propose:render:1"


def test_bad_inputs_fail_the_job_with_one_clear_line_and_the_worker_goes_on(tmp_path) -> None:
    from core.db import upgrade
    from workers.bootstrap import build_services
    from workers.local import LocalDispatcher

    settings = make_settings(tmp_path, max_input_minutes=1)
    upgrade(settings)
    services = build_services(settings, LocalDispatcher())
    sound = tmp_path / "voice.m4a"
    video(tmp_path / "voice.mp4", seconds=1, size="64x64").rename(sound)
    only_audio = tmp_path / "only-audio.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(sound), "-vn", "-c:a", "copy", str(only_audio)],
                   check=True)
    corrupt = tmp_path / "broken.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 300)
    long = video(tmp_path / "long.mp4", seconds=61, size="64x64", rate=5, audio=False)
    good = video(tmp_path / "fine.mp4", seconds=1, size="160x120", audio=False)
    try:
        with ThreadWorker(services):
            lines = [f"/render {p} no-captions" for p in (only_audio, corrupt, long, good)]
            out = run_script(services, lines)
    finally:
        services.db.dispose()
    failures = [line for line in out.splitlines() if " failed: " in line]
    assert len(failures) == 3
    assert "only-audio.m4a: there is no video stream" in failures[0]
    assert "broken.mp4: not a readable media file" in failures[1]
    assert "over the 1-minute limit (MAX_INPUT_MINUTES)" in failures[2]
    assert "Render #4 is ready" in out
    states = [(r.state, bool((r.data or {}).get("error"))) for r in renders(services)]
    assert states == [("failed", True)] * 3 + [("done", False)]


def test_rendering_again_announces_the_finished_render_without_redoing_it(services, worker, tmp_path) -> None:
    clip = video(tmp_path / "once.mp4", seconds=1, size="160x120", audio=False)
    run_script(services, [f"/render {clip} no-captions"])
    [render] = renders(services)
    made = Path(render.output_path).stat().st_mtime_ns
    with services.db.session() as session:
        job = session.get_one(Job, render.job_id)
        job.state, job.attempts = JobState.queued, 0
    out = run_script(services, [])
    assert "Render #1 is ready" in out
    assert Path(render.output_path).stat().st_mtime_ns == made
    assert len(jobs_of(services, "propose")) == 1


@pytest.fixture
def file_server(tmp_path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def add_candidate(services, url: str, basis: str) -> int:
    with services.db.session() as session:
        from core.models import Workspace

        workspace = session.scalar(select(Workspace).where(Workspace.front == "console"))
        candidate = Candidate(workspace_id=workspace.id, platform="web", external_id=url, url=url,
                              title="A found video", channel_title="Someone", rights_basis=basis)
        session.add(candidate)
        session.flush()
        return candidate.id


def test_a_creative_commons_candidate_is_downloaded_then_rendered(tmp_path, file_server) -> None:
    from core.db import upgrade
    from workers.bootstrap import build_services
    from workers.local import LocalDispatcher

    base, root = file_server
    video(root / "cc.mp4", seconds=1.5, size="320x180", audio=False)
    settings = make_settings(tmp_path, download_allow_private=True)
    upgrade(settings)
    services = build_services(settings, LocalDispatcher())
    try:
        run_script(services, ["/help"])  # creates the console workspace
        cc = add_candidate(services, f"{base}/cc.mp4", RightsBasis.creative_commons)
        unknown = add_candidate(services, f"{base}/other.mp4", "none")
        with ThreadWorker(services):
            out = run_script(services, [f"/render {unknown}", f"/render {base}/cc.mp4 no-captions"])
        assert f"Candidate #{unknown} (A found video) is not yours and not Creative Commons" in out
        assert "downloading" in out and "Render #1 is ready" in out
        with services.db.session() as session:
            source = session.scalar(select(Source))
            assert source.rights_basis == RightsBasis.creative_commons and source.candidate_id == cc
            assert source.local_path and Path(source.local_path).is_file()
    finally:
        services.db.dispose()


def test_a_url_discovery_never_saw_is_refused_with_where_to_go(services) -> None:
    out = run_script(services, ["/render https://videos.example/clip.mp4"])
    assert "/trending, /scan or /watch first" in out
    assert renders(services) == []


def telegram(user: str = "u1", admin: bool = True) -> Caller:
    return Caller(front="telegram", workspace_ref="g1", chat_ref="g1", user_ref=user, user_name=user,
                  platform_admin=admin)


def test_an_attachment_is_the_senders_own_media_and_a_word_after_it_is_the_preset(services, tmp_path) -> None:
    clip = video(tmp_path / "sent.mp4", seconds=1, size="160x120", audio=False)
    reply = run_text(services, telegram(), "/render podcast mirror=yes", attachments=[str(clip)])
    assert not reply.error and "render #1 of sent (podcast)" in reply.text
    [render] = renders(services)
    assert render.preset == "podcast" and render.recipe["mirror"] is True
    with services.db.session() as session:
        assert session.get_one(Source, render.source_id).rights_basis == RightsBasis.owned
        assert session.get_one(Job, render.job_id).queue == "render-cpu"


def test_chat_users_cannot_name_files_on_the_bots_machine(services, tmp_path) -> None:
    reply = run_text(services, telegram(), f"/render {tmp_path / 'x.mp4'}")
    assert reply.error and "Attach the video" in reply.text
    lut = run_text(services, telegram(), f"/render 1 lut={tmp_path / 'a.cube'}")
    assert lut.error and "only be named from the bot's console" in lut.text


def test_renders_go_to_the_gpu_queue_only_when_nvenc_is_asked_for(tmp_path) -> None:
    assert records.render_queue(make_settings(tmp_path, video_encoder="nvenc")) == "render-gpu"
    assert records.render_queue(make_settings(tmp_path, video_encoder="auto")) == "render-cpu"


def test_workspace_presets_are_saved_listed_shown_and_used(services, tmp_path) -> None:
    out = run_script(services, [
        "/preset save loud bold-captions look=warm mirror=no",
        "/preset save clean", "/preset list", "/preset show loud", "/presets",
    ])
    assert "Saved preset loud (from bold-captions)" in out and "colour: warm" in out
    assert "clean is a built-in preset" in out
    assert "This workspace's presets:\n  loud" in out
    clip = video(tmp_path / "p.mp4", seconds=1, size="160x120", audio=False)
    console = Caller(front="console", workspace_ref="local", chat_ref="local", user_ref="tester",
                     user_name="tester", platform_admin=True)
    assert not run_text(services, console, f"/render {clip} loud").error
    [render] = renders(services)
    assert render.preset == "loud" and render.recipe["grade"]["look"] == "warm"
    assert render.recipe["mirror"] is False


def test_a_viewer_can_read_presets_but_not_save_or_render(services) -> None:
    run_text(services, telegram("owner"), "/help")
    viewer = telegram("someone", admin=False)
    assert "Built-in presets" in run_text(services, viewer, "/presets").text
    assert "Only editors and owners can save presets" in run_text(services, viewer, "/preset save x").text
    assert run_text(services, viewer, "/render 1").error


def test_the_command_line_renders_a_file_and_prints_a_summary(tmp_path, monkeypatch, capsys) -> None:
    from bot.cli import main

    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    clip = video(tmp_path / "cli.mp4", seconds=1.5, size="320x180", speech="one two three")
    out = tmp_path / "short.mp4"
    assert main(["render", str(clip), "-o", str(out), "--preset", "cinematic", "--no-captions"]) == 0
    printed = capsys.readouterr()
    assert "Rendered 1.5 s at 1080x1920" in printed.out and "captions off" in printed.out
    assert "realtime" in printed.out and "encoding with x264" in printed.err
    assert out.is_file() and (tmp_path / "short.preview.mp4").is_file()
    assert main(["render", str(tmp_path / "missing.mp4")]) == 1
    assert "missing.mp4: no such file." in capsys.readouterr().err
    assert main(["render", "--list-presets"]) == 0
    assert "bold-captions —" in capsys.readouterr().out
