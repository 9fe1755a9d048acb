"""How a connection attempt ended, in plain words for the web page and the DM.

A failure is known by a short reason code: an OAuth error code (RFC 6749 §4.1.2.1 and
§5.2, which Google and TikTok both use: `access_denied`, `invalid_grant`, …) or one of ours
(`link_expired`, `no_channel`, …). Only codes listed here are ever shown; whatever else a
provider (or someone editing the callback URL) puts in `error` or `error_description` is
never echoed.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.models import Workspace
from core.publish.oauth_types import LINK_MINUTES

LABELS = {"youtube": "YouTube", "tiktok": "TikTok"}
REFUSED = "refused"


@dataclass(frozen=True)
class Reason:
    """What went wrong, and whether a new link can help (False: the bot's operator must act)."""

    words: str
    retry: bool = True


_OPERATOR = Reason("{label} refused this bot's app settings. Tell the bot's operator: the app's "
                   "client id, secret or redirect address needs fixing (docs/publishing.md).", retry=False)
_PROVIDER_DOWN = Reason("{label} had a problem on its side. Try again in a few minutes.")

REASONS: dict[str, Reason] = {
    "access_denied": Reason("You didn't allow access on {label}'s page."),
    "link_unknown": Reason("This link isn't one the bot made for {label}, or part of it is missing."),
    "link_used": Reason("This link was already used: each link works once."),
    "link_expired": Reason(f"This link expired: links work for {LINK_MINUTES} minutes after the bot "
                           "sends them."),
    "no_code": Reason("{label} sent nothing back to finish connecting."),
    "invalid_grant": Reason("{label} did not accept the sign-in: it took too long, or the page was "
                            "opened twice."),
    "unreachable": Reason("{label} could not be reached. Try again in a few minutes."),
    "no_channel": Reason("This Google account has no YouTube channel yet. Create one on YouTube "
                         "first."),
    "no_identity": Reason("{label} did not say which account you signed in with."),
    "server_error": _PROVIDER_DOWN,
    "temporarily_unavailable": _PROVIDER_DOWN,
    "invalid_scope": _OPERATOR,
    "invalid_client": _OPERATOR,
    "unauthorized_client": _OPERATOR,
    "invalid_request": _OPERATOR,
    "unsupported_response_type": _OPERATOR,
    "unsupported_grant_type": _OPERATOR,
    "redirect_uri_mismatch": _OPERATOR,
    REFUSED: Reason("{label} refused the connection."),
}


def known_reason(code: object) -> str:
    """`code` if it is one we have words for, else the generic `refused`."""
    return code if isinstance(code, str) and code in REASONS else REFUSED


def explain(reason: str, platform: str) -> Reason:
    found = REASONS[known_reason(reason)]
    return Reason(found.words.format(label=LABELS.get(platform, "The platform")), found.retry)


def next_step(reason: str, platform: str, where: str) -> str:
    """What to do after a failure: ask again where the link came from, unless only the
    bot's operator can help."""
    if not explain(reason, platform).retry:
        return "A new link won't help until that is fixed."
    return f"Go back to {where} and send /connect {platform} for a new link."


def place(workspace: Workspace | None) -> str:
    """Where the person asked for the link, as they would name it."""
    if workspace is None:
        return "the chat where you asked for the link"
    name = workspace.name.strip()[:80]
    if workspace.front == "telegram":
        if workspace.external_id.startswith("-"):
            return f"the Telegram group \u201c{name}\u201d" if name else "your Telegram group"
        return "your private chat with the bot on Telegram"
    if workspace.front == "discord":
        if workspace.external_id.startswith("dm:"):
            return "your direct messages with the bot on Discord"
        return f"the Discord server \u201c{name}\u201d" if name else "your Discord server"
    if workspace.front == "console":
        return "the ettametta console"
    return "the chat where you asked for the link"


def private_place(front: str) -> str:
    """How the bot's private messages reach the person on `front`."""
    return {"discord": "a Discord DM", "telegram": "a private message on Telegram",
            "console": "the ettametta console"}.get(front, "a private message")
