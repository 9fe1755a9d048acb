"""Choices as buttons and reactions that keep working after a restart.

A button's custom_id carries its command (`ett:c:/approve 3`), or, when the command is too
long for Discord's 100 characters, a key to a `OneTimeCode` row (`ett:k:<code>`). Reactions
map back through a row per message recording which emoji runs which command. Nothing lives in
a View object, so a new bot process reads the same answers from the database.
"""

from __future__ import annotations

import re
from typing import Any

import discord
from sqlalchemy.orm import Session

from core.config import new_token
from core.messages import Choice
from core.models import OneTimeCode

CUSTOM_ID_LIMIT = 100
TEMPLATE = r"ett:(?P<mode>[ck]):(?P<value>.+)"
CHOICE_PURPOSE = "choice"
REACTIONS_PURPOSE = "reactions"
_PATTERN = re.compile(TEMPLATE)
_STYLES = {"✅": discord.ButtonStyle.success, "❌": discord.ButtonStyle.danger}


def custom_id_for(session: Session, choice: Choice) -> str:
    direct = f"ett:c:{choice.command}"
    if len(direct) <= CUSTOM_ID_LIMIT:
        return direct
    code = new_token(12)
    session.add(OneTimeCode(code=code, purpose=CHOICE_PURPOSE, data={"command": choice.command}))
    return f"ett:k:{code}"


def command_for(session: Session, mode: str, value: str) -> str | None:
    """The command a button stands for (None if its key is unknown)."""
    if mode == "c":
        return value
    row = session.get(OneTimeCode, value)
    if row is None or row.purpose != CHOICE_PURPOSE:
        return None
    return str(row.data.get("command") or "") or None


def _reactions_code(message_id: int) -> str:
    return f"discord-reactions:{message_id}"


def remember_reactions(session: Session, message_id: int, choices: list[Choice]) -> None:
    by_emoji = {c.emoji: c.command for c in choices if c.emoji}
    if by_emoji:
        session.merge(OneTimeCode(code=_reactions_code(message_id), purpose=REACTIONS_PURPOSE,
                                  data={"commands": by_emoji}))


def reaction_command(session: Session, message_id: int, emoji: str) -> str | None:
    row = session.get(OneTimeCode, _reactions_code(message_id))
    if row is None or row.purpose != REACTIONS_PURPOSE:
        return None
    return row.data.get("commands", {}).get(emoji)


class ChoiceButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TEMPLATE):
    """One choice as a button; rebuilt from its custom_id whenever someone clicks it."""

    def __init__(self, custom_id: str, label: str, emoji: str | discord.PartialEmoji | None = None) -> None:
        style = _STYLES.get(str(emoji or ""), discord.ButtonStyle.secondary)
        super().__init__(discord.ui.Button(label=label[:80], custom_id=custom_id, style=style,
                                           emoji=emoji or None))
        match = _PATTERN.fullmatch(custom_id)
        self.mode, self.value = (match["mode"], match["value"]) if match else ("", "")

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ChoiceButton:
        button = item if isinstance(item, discord.ui.Button) else None
        label = (button.label if button else None) or "choice"
        return cls(match.group(0), label, button.emoji if button else None)

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.client.on_choice_click(interaction, self.mode, self.value)  # type: ignore[attr-defined]
