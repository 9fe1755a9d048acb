"""How a proposal reads in chat: numbered options, description, credit, and what can be picked.

Choices are front-neutral commands; Discord and Telegram turn them into buttons or reactions,
the console into a numbered prompt. Commands stay short (Telegram callback data is 64 bytes).
"""

from __future__ import annotations

from core.ai import limits
from core.messages import Attachment, Choice, Reply, format_duration
from core.models import Proposal, ProposalState, Render, utcnow
from core.proposals.content import title_of

NUMBER_EMOJI = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣")
SHORT_TITLE = 40


def proposal_reply(proposal: Proposal, render: Render | None, *, note: str = "") -> Reply:
    pid = proposal.id
    lines = [f"{note}\n" if note else "", _heading(proposal), "Titles:"]
    lines += [f"  {n}. {title}" for n, title in enumerate(proposal.options, 1)]
    if proposal.custom_title:
        lines.append(f"  Your title: {proposal.custom_title}")
    lines.append(f"Description: {proposal.description}")
    if proposal.hashtags:
        lines.append("Hashtags: " + " ".join(proposal.hashtags))
    if proposal.attribution:
        lines.append(f"Credit (always added): {proposal.attribution}")
    if proposal.hook:
        lines.append(f"Hook: {proposal.hook}")
    lines.append(_credit(proposal))
    choices: list[Choice] = []
    if proposal.state == ProposalState.pending:
        lines.append(
            f"Pick a title to approve it, or /approve {pid} (approves "
            + ("your title" if proposal.custom_title else "title 1")
            + f"), /reject {pid}, /regenerate {pid} \"hint\", /title {pid} \"…\", /describe {pid} \"…\"."
        )
        choices = [
            Choice(label=f"{n}: {limits.shorten(title, SHORT_TITLE)}", command=f"/pick {pid} {n}",
                   emoji=NUMBER_EMOJI[n - 1])
            for n, title in enumerate(proposal.options[: len(NUMBER_EMOJI)], 1)
        ]
        choices += [
            Choice(label="Approve", command=f"/approve {pid}", emoji="✅"),
            Choice(label="Reject", command=f"/reject {pid}", emoji="❌"),
            Choice(label="New titles", command=f"/regenerate {pid}", emoji="🔁"),
        ]
    return Reply(text="\n".join(line for line in lines if line), choices=choices,
                 attachments=_media(render), subject=f"proposal:{pid}")


def decision_reply(proposal: Proposal, *, publish_job_id: int | None = None) -> Reply:
    pid = proposal.id
    if proposal.state == ProposalState.approved:
        text = f"Approved proposal #{pid}: “{title_of(proposal)}”."
        if publish_job_id is not None:
            text += f" Publishing now (job #{publish_job_id}); progress follows here."
        else:
            text += f" /publish {pid} publishes it."
    else:
        text = f"Rejected proposal #{pid}. /propose {proposal.render_id} writes a new one."
    return Reply(text=text, subject=f"proposal:{pid}")


def list_reply(proposals: list[Proposal]) -> Reply:
    if not proposals:
        return Reply(text="No proposals are waiting for a decision.")
    lines = ["Waiting for a decision (/proposals N shows one in full):"]
    for proposal in proposals:
        lines.append(f"  #{proposal.id} render #{proposal.render_id} — "
                     f"{limits.shorten(title_of(proposal), 60)}{_expires(proposal)}")
    choices = [Choice(label=f"Show #{p.id}", command=f"/proposals {p.id}") for p in proposals[:5]]
    return Reply(text="\n".join(lines), choices=choices)


def _heading(proposal: Proposal) -> str:
    state = "" if proposal.state == ProposalState.pending else f" — {proposal.state}"
    regen = f", take {proposal.generation}" if proposal.generation > 1 else ""
    return f"Proposal #{proposal.id} for render #{proposal.render_id}{regen}{state}{_expires(proposal)}"


def _expires(proposal: Proposal) -> str:
    if proposal.state != ProposalState.pending or proposal.expires_at is None:
        return ""
    left = (proposal.expires_at - utcnow()).total_seconds()
    return f" (expires in {format_duration(left)})"


def _credit(proposal: Proposal) -> str:
    label = (proposal.data or {}).get("label") or proposal.backend
    line = f"Written by {label}."
    fallbacks = (proposal.data or {}).get("fallbacks") or []
    if fallbacks:
        line += " Passed over: " + "; ".join(fallbacks) + "."
    return line


def _media(render: Render | None) -> list[Attachment]:
    if render is None:
        return []
    found = []
    if render.preview_path:
        found.append(Attachment(path=render.preview_path, kind="video", name="preview.mp4"))
    if render.thumbnail_path:
        found.append(Attachment(path=render.thumbnail_path, kind="image", name="thumbnail.png"))
    return found
