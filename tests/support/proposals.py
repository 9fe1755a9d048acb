"""Rows a proposal needs (workspace, members, source, render) made directly, and callers to act."""

from __future__ import annotations

from typing import Any

from core.identity import Caller, resolve
from core.invoke import run_text
from core.messages import Reply
from core.models import Member, Render, RightsBasis, Role, Source
from core.proposals import making
from core.services import Services

OWNER = Caller(front="console", workspace_ref="local", chat_ref="local", user_ref="olivia",
               user_name="olivia", platform_admin=True)
EDITOR = Caller(front="console", workspace_ref="local", chat_ref="local", user_ref="eddie",
                user_name="eddie")
VIEWER = Caller(front="console", workspace_ref="local", chat_ref="local", user_ref="vera",
                user_name="vera")

CC_ATTRIBUTION = {"title": "Cold Brew at Home", "channel": "Bean Lab",
                  "url": "https://www.youtube.com/watch?v=abc123XYZ00", "license": "CC BY 3.0"}


def spoken(text: str, start: float = 0.3, per_word: float = 0.32) -> list[dict[str, Any]]:
    """A transcript as the render stores it: one entry per word with times in seconds."""
    words, t = [], start
    for token in text.split():
        words.append({"word": token, "start": round(t, 2), "end": round(t + per_word - 0.05, 2)})
        t += per_word + (0.5 if token.endswith((".", "?", "!")) else 0.0)
    return words


def workspace_with_members(services: Services) -> int:
    """The console workspace with an owner, an editor and a viewer; returns its id."""
    with services.db.session() as session:
        owner = resolve(session, OWNER)
        editor = resolve(session, EDITOR)
        resolve(session, VIEWER)
        session.get_one(Member, editor.member_id).role = int(Role.editor)
        return owner.workspace_id


def make_render(services: Services, workspace_id: int, transcript: str, *, title: str = "clip",
                channel: str = "", attribution: dict[str, str] | None = None, **render: Any) -> int:
    with services.db.session() as session:
        source = Source(workspace_id=workspace_id, kind="file", uri=f"{title}.mp4", title=title,
                        channel=channel,
                        rights_basis=RightsBasis.creative_commons if attribution else RightsBasis.owned,
                        attribution=attribution or {})
        session.add(source)
        session.flush()
        row = Render(workspace_id=workspace_id, source_id=source.id, state="succeeded",
                     output_path=render.pop("output_path", "/tmp/render.mp4"), duration_s=12.0,
                     transcript=spoken(transcript), **render)
        session.add(row)
        session.flush()
        return row.id


def make_proposal(services: Services, workspace_id: int, render_id: int) -> int:
    proposal = making.propose(services, workspace_id, render_id, making.ReplyTo("console", "local"))
    return proposal.id


def say(services: Services, caller: Caller, line: str) -> Reply:
    return run_text(services, caller, line)
