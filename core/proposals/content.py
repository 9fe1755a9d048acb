"""What an approved proposal publishes: the title chosen, the description with its credits."""

from __future__ import annotations

from dataclasses import dataclass

from core.ai import limits
from core.models import Proposal


@dataclass(frozen=True)
class Approved:
    """The metadata publishing uploads (YouTube title, description, tags; TikTok caption)."""

    title: str
    description: str
    hashtags: tuple[str, ...]
    tags: tuple[str, ...]


def title_of(proposal: Proposal) -> str:
    """The custom title if one was written, else the option picked (option 1 by default)."""
    if proposal.custom_title:
        return proposal.custom_title
    options = proposal.options or [""]
    index = proposal.chosen_index if proposal.chosen_index is not None else 0
    return str(options[min(max(index, 0), len(options) - 1)])


def description_of(proposal: Proposal) -> str:
    """The description as published: text, hashtags, and the CC BY line no edit can remove."""
    return limits.full_description(proposal.description, list(proposal.hashtags or []),
                                   proposal.attribution)


def approved_content(proposal: Proposal) -> Approved:
    hashtags = tuple(proposal.hashtags or [])
    return Approved(
        title=title_of(proposal),
        description=description_of(proposal),
        hashtags=hashtags,
        tags=tuple(tag.lstrip("#") for tag in hashtags),
    )


def without_attribution(text: str, attribution: str) -> str:
    """An edited description that pasted the credit line back in keeps just one copy of it."""
    return text.replace(attribution, "").strip() if attribution else text.strip()
