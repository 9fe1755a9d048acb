"""Per-workspace settings: each has a type, a default and a help line, shown by /settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.commands.registry import CommandError
from core.models import Workspace


@dataclass(frozen=True)
class SettingSpec:
    name: str
    help: str
    type: type
    default: Any
    choices: tuple[str, ...] = ()

    def parse(self, text: str) -> Any:
        if self.type is bool:
            lowered = text.strip().lower()
            if lowered in {"on", "yes", "true", "1"}:
                return True
            if lowered in {"off", "no", "false", "0"}:
                return False
            raise CommandError(f"{self.name} takes on or off, not {text!r}.")
        try:
            value = self.type(text)
        except ValueError:
            raise CommandError(f"{self.name} takes a {self.type.__name__}, not {text!r}.") from None
        if self.choices and value not in self.choices:
            raise CommandError(f"{self.name} takes one of {', '.join(self.choices)}, not {text!r}.")
        return value


SETTINGS: dict[str, SettingSpec] = {
    spec.name: spec
    for spec in (
        SettingSpec("niche", "what the channel is about, used for titles and discovery", str, ""),
        SettingSpec("tone", "how titles should sound", str, "friendly",
                    ("friendly", "bold", "calm", "funny", "expert")),
        SettingSpec("language", "language of titles and descriptions (ISO code)", str, "en"),
        SettingSpec("default_preset", "render preset used when none is given", str, "bold-captions"),
        SettingSpec("proposal_expiry_hours", "hours before an undecided proposal expires", int, 72),
        SettingSpec("auto_publish", "publish approved proposals without /publish", bool, False),
        SettingSpec("publish_targets", "where auto-publish sends: youtube, tiktok or all", str,
                    "all", ("youtube", "tiktok", "all")),
        SettingSpec("youtube_privacy", "privacy of YouTube uploads", str, "private",
                    ("private", "unlisted", "public")),
        SettingSpec("tiktok_mode", "TikTok: direct post, or drafts in the creator's inbox", str,
                    "direct", ("direct", "inbox")),
        SettingSpec("tiktok_privacy", "TikTok direct posts: who may see them (if the creator allows)",
                    str, "SELF_ONLY", ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS",
                                       "FOLLOWER_OF_CREATOR", "SELF_ONLY")),
        SettingSpec("made_for_kids", "declare uploads as made for kids (YouTube requires an answer)",
                    bool, False),
        SettingSpec("synthetic_media", "declare uploads as realistic AI-altered content", bool,
                    False),
        SettingSpec("timezone", "time zone for schedules and digests (IANA name)", str, "UTC"),
        SettingSpec("search_budget", "YouTube search.list calls this workspace may spend a day",
                    int, 20),
        SettingSpec("quota_budget", "YouTube API units this workspace may spend a day", int, 5000),
    )
}


def get(workspace: Workspace, name: str) -> Any:
    return (workspace.settings or {}).get(name, SETTINGS[name].default)


def set_value(workspace: Workspace, name: str, text: str) -> Any:
    spec = SETTINGS.get(name)
    if spec is None:
        raise CommandError(f"There is no setting {name!r}. /settings lists them.")
    value = spec.parse(text)
    workspace.settings = {**(workspace.settings or {}), name: value}
    return value
