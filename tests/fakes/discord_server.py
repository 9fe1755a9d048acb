"""A fake Discord for tests: the gateway websocket and the REST API on 127.0.0.1, in aiohttp.

It speaks enough of the real protocol for a real discord.py 2.7 client (PLATFORMS.md): HELLO,
READY and GUILD_CREATE over text frames; REST answers with `Content-Type: application/json`
exactly; multipart uploads. It enforces what Discord enforces and the product must respect:
an interaction acknowledged later than 3 seconds (or twice) is refused, and its token dies
after 15 minutes (401 / 50027 "Invalid Webhook Token"); uploads over the chat's limit get
413 / 40005 (the server's boost tier sets it, 10 MiB in DMs); DMs to people who closed them
get 403 / 50007; editing a message someone deleted gets 404 / 10008 "Unknown Message", and
posting in a deleted channel 404 / 10003 "Unknown Channel". The bot's permissions are
checked per channel (tests/fakes/discord_rules.py: 403 / 50001 and 50013), and channels can
be rate limited per kind of request (`limit_posts`, `limit_edits`: 429 with retry_after).
Every refused request is kept in `refused`.
Tests drive it as people would: `slash`, `click`, `react`, `autocomplete`, `delete_message`,
`deny` (take a permission from the bot in a channel), `set_boost`; `advance` moves its clock.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote

from aiohttp import web

from tests.fakes.discord_rules import (
    ADD_REACTIONS,
    BOT_INVITE,
    EVERYONE,
    MISSING_ACCESS,
    MISSING_PERMISSIONS,
    READ_MESSAGE_HISTORY,
    VIEW_CHANNEL,
    Bucket,
    Overwrite,
    Refusal,
    channel_permissions,
    mask,
    refusal_to_post,
    too_many_requests,
)

JSON = "application/json"
DEADLINE_SECONDS = 3.0
EPHEMERAL, LOADING = 64, 128
APP_ID = 900_000_000_000_000_001
GUILD_ID = 900_000_000_000_000_100
CHANNEL_ID = 900_000_000_000_000_200
OTHER_CHANNEL_ID = 900_000_000_000_000_201
CHANNEL_NAMES = {CHANNEL_ID: "shorts", OTHER_CHANNEL_ID: "clips"}
BOT_ROLE_ID = 900_000_000_000_000_302
OWNER_ID = 900_000_000_000_000_400
ADMIN_ROLE_ID = 900_000_000_000_000_300
EDITOR_ROLE_ID = 900_000_000_000_000_301
MiB = 1024 * 1024
TIER_UPLOAD_LIMITS = {0: 10 * MiB, 1: 10 * MiB, 2: 50 * MiB, 3: 100 * MiB}
TOKEN_LIFETIME_SECONDS = 15 * 60
BOT_TOKEN = "fake-bot-token"


@dataclass
class FakeUser:
    id: int
    name: str
    roles: list[int] = field(default_factory=list)
    dms_open: bool = True

    def payload(self, bot: bool = False) -> dict[str, Any]:
        return {"id": str(self.id), "username": self.name, "discriminator": "0", "global_name": self.name,
                "avatar": None, "bot": bot}


@dataclass
class FakeInteraction:
    id: int
    token: str
    type: int
    user: FakeUser
    channel_id: int
    created: float
    attachment_size_limit: int
    acknowledged: int | None = None
    acknowledged_after: float | None = None
    original_id: int | None = None
    choices: list[dict[str, Any]] = field(default_factory=list)


class FakeDiscord:
    def __init__(
        self, *, guild_upload_limit: int | None = None, interaction_upload_limit: int = 10 * MiB,
        dm_upload_limit: int = 10 * MiB, premium_tier: int = 0,
    ) -> None:
        self._ids = itertools.count(1_000_000_000_000_000_000)
        self.bot = FakeUser(APP_ID, "ettametta")
        self.token = BOT_TOKEN
        self.users: dict[int, FakeUser] = {}
        self.premium_tier = premium_tier
        self.guild_upload_limit = guild_upload_limit or TIER_UPLOAD_LIMITS[premium_tier]
        self.interaction_upload_limit = interaction_upload_limit
        self.dm_upload_limit = dm_upload_limit
        self.overwrites: dict[int, list[Overwrite]] = {c: [] for c in CHANNEL_NAMES}
        self.post_limits: dict[int, Bucket] = {}
        self.edit_limits: dict[int, Bucket] = {}
        self.refused: list[Refusal] = []
        self._clock_offset = 0.0
        self.messages: dict[int, dict[str, Any]] = {}
        self.edits: list[int] = []
        self.reactions: dict[int, list[tuple[str, int]]] = {}
        self.interactions: dict[int, FakeInteraction] = {}
        self.late: list[int] = []
        self.command_syncs: list[tuple[str, list[dict[str, Any]]]] = []
        self.files: dict[str, bytes] = {}
        self.rate_limited_posts = 0
        self.deleted_channels: set[int] = set()
        self.identified = 0
        self._ws: web.WebSocketResponse | None = None
        self._seq = 0
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- set-up ------------------------------------------------------------------------------
    def add_user(self, name: str, *, roles: tuple[int, ...] = (), dms_open: bool = True) -> FakeUser:
        user = FakeUser(next(self._ids), name, list(roles), dms_open)
        self.users[user.id] = user
        return user

    def add_file(self, name: str, data: bytes) -> str:
        key = str(next(self._ids))
        self.files[key] = data
        return f"{self.base}/files/{key}/{quote(name, safe='')}"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def now(self) -> float:
        return time.monotonic() + self._clock_offset

    def advance(self, seconds: float) -> None:
        """Time passes for the fake (rate-limit windows, interaction tokens)."""
        self._clock_offset += seconds

    async def start(self) -> None:
        app = web.Application(client_max_size=256 * MiB, middlewares=[self._record_refusals])
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/files/{key}/{name}", self._file)
        api = "/api/v10"
        routes = [
            ("GET", "/users/@me", self._me),
            ("GET", "/oauth2/applications/@me", self._application),
            ("PUT", "/applications/{app}/commands", self._sync),
            ("PUT", "/applications/{app}/guilds/{guild}/commands", self._sync),
            ("POST", "/interactions/{id}/{token}/callback", self._callback),
            ("PATCH", "/webhooks/{app}/{token}/messages/@original", self._edit_original),
            ("DELETE", "/webhooks/{app}/{token}/messages/@original", self._delete_original),
            ("POST", "/webhooks/{app}/{token}", self._followup),
            ("POST", "/channels/{channel}/messages", self._post_message),
            ("PATCH", "/channels/{channel}/messages/{message}", self._edit_message),
            ("PUT", "/channels/{channel}/messages/{message}/reactions/{emoji}/@me", self._add_reaction),
            ("DELETE", "/channels/{channel}/messages/{message}/reactions/{emoji}/{user}",
             self._remove_reaction),
            ("POST", "/users/@me/channels", self._open_dm),
            ("GET", "/users/{user}", self._get_user),
            ("GET", "/channels/{channel}", self._get_channel),
            ("GET", "/guilds/{guild}", self._get_guild),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, api + path, handler)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what people do ----------------------------------------------------------------------
    async def slash(
        self, name: str, options: dict[str, Any] | None = None, *, user: FakeUser, dm: bool = False,
        attachments: dict[str, tuple[str, bytes]] | None = None,
    ) -> FakeInteraction:
        """Run /name with typed options; `attachments` maps an option to (file name, bytes)."""
        definition = self.command(name)
        types = {o["name"]: o["type"] for o in definition.get("options", [])}
        data: dict[str, Any] = {"id": str(next(self._ids)), "name": name, "type": 1, "options": []}
        for key, value in (options or {}).items():
            data["options"].append({"name": key, "type": types[key], "value": value})
        resolved: dict[str, Any] = {}
        for key, (filename, body) in (attachments or {}).items():
            attachment_id = str(next(self._ids))
            url = self.add_file(filename, body)
            resolved[attachment_id] = {"id": attachment_id, "filename": filename, "size": len(body),
                                       "url": url, "proxy_url": url, "content_type": "video/mp4"}
            data["options"].append({"name": key, "type": types[key], "value": attachment_id})
        if resolved:
            data["resolved"] = {"attachments": resolved}
        return await self._interact(2, data, user, dm=dm)

    async def autocomplete(self, name: str, option: str, typed: str, *, user: FakeUser) -> FakeInteraction:
        definition = self.command(name)
        kind = next(o["type"] for o in definition["options"] if o["name"] == option)
        data = {"id": str(next(self._ids)), "name": name, "type": 1,
                "options": [{"name": option, "type": kind, "value": typed, "focused": True}]}
        return await self._interact(4, data, user)

    async def click(self, message_id: int, custom_id: str, *, user: FakeUser) -> FakeInteraction:
        message = self.messages[message_id]
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._interact(3, data, user, message=message, channel_id=int(message["channel_id"]))

    async def react(self, message_id: int, emoji: str, *, user: FakeUser) -> None:
        message = self.messages[message_id]
        self.reactions.setdefault(message_id, []).append((emoji, user.id))
        await self._dispatch("MESSAGE_REACTION_ADD", {
            "user_id": str(user.id), "channel_id": message["channel_id"], "message_id": str(message_id),
            "guild_id": str(GUILD_ID), "member": self._member(user), "emoji": {"id": None, "name": emoji},
            "type": 0, "burst": False, "burst_colors": [], "message_author_id": str(self.bot.id),
        })

    def delete_message(self, message_id: int) -> None:
        """Someone deletes one of the bot's messages."""
        self.messages[message_id]["deleted"] = True

    def delete_channel(self, channel_id: int = CHANNEL_ID) -> None:
        self.deleted_channels.add(channel_id)

    async def deny(self, *permissions: str, channel_id: int = CHANNEL_ID) -> None:
        """A server admin takes permissions (discord_rules.NAMES) from the bot's role in a channel;
        Discord tells the bot with CHANNEL_UPDATE."""
        self.overwrites[channel_id].append(Overwrite(BOT_ROLE_ID, deny=mask(*permissions)))
        await self._dispatch("CHANNEL_UPDATE", self._channel(channel_id))

    async def set_boost(self, tier: int, *, tell_the_bot: bool = True) -> None:
        """The server's boost tier changes, and with it the upload limit (GUILD_UPDATE)."""
        self.premium_tier, self.guild_upload_limit = tier, TIER_UPLOAD_LIMITS[tier]
        if tell_the_bot:
            await self._dispatch("GUILD_UPDATE", self._guild())

    def limit_posts(self, channel_id: int, *, limit: int, window: float) -> None:
        self.post_limits[channel_id] = Bucket(limit, window)

    def limit_edits(self, channel_id: int, *, limit: int, window: float) -> None:
        """Edits in the channel are limited, as Discord limits edits of old messages hard."""
        self.edit_limits[channel_id] = Bucket(limit, window)

    def refusals(self, code: int | None = None, status: int | None = None) -> list[Refusal]:
        return [r for r in self.refused
                if (code is None or r.code == code) and (status is None or r.status == status)]

    async def wait_for(self, predicate: Any, timeout: float = 20.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = predicate()
            if found:
                return found
            await asyncio.sleep(0.02)
        raise AssertionError("the fake Discord never saw what the test waited for")

    # --- what tests look at ------------------------------------------------------------------
    def command(self, name: str) -> dict[str, Any]:
        _, commands = self.command_syncs[-1]
        return next(c for c in commands if c["name"] == name)

    def channel_messages(self, channel_id: int = CHANNEL_ID) -> list[dict[str, Any]]:
        return [m for m in self.messages.values()
                if int(m["channel_id"]) == channel_id and not m.get("deleted")]

    def original(self, interaction: FakeInteraction) -> dict[str, Any] | None:
        return self.messages.get(interaction.original_id) if interaction.original_id else None

    def followups(self, interaction: FakeInteraction) -> list[dict[str, Any]]:
        return [m for m in self.messages.values() if m.get("interaction_id") == interaction.id
                and m["id"] != str(interaction.original_id)]

    def dm_channel_id(self, user: FakeUser) -> int:
        return user.id + 1

    @staticmethod
    def text(message: dict[str, Any]) -> str:
        parts = [message.get("content") or ""]
        parts += [e.get("description") or "" for e in message.get("embeds") or []]
        return "\n".join(p for p in parts if p)

    @staticmethod
    def custom_ids(message: dict[str, Any]) -> list[str]:
        return [c["custom_id"] for row in message.get("components") or [] for c in row["components"]]

    # --- gateway -----------------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws, self._seq = ws, 0
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 45000}})
        async for frame in ws:
            message = json.loads(frame.data)
            if message["op"] == 1:
                await ws.send_json({"op": 11})
            elif message["op"] == 2:
                self.identified += 1
                await self._dispatch("READY", self._ready())
                await self._dispatch("GUILD_CREATE", self._guild())
        return ws

    async def _dispatch(self, event: str, data: dict[str, Any]) -> None:
        assert self._ws is not None, "no client is connected to the fake gateway"
        self._seq += 1
        await self._ws.send_json({"op": 0, "t": event, "s": self._seq, "d": data})

    def _ready(self) -> dict[str, Any]:
        return {"v": 10, "user": self.bot.payload(bot=True),
                "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
                "session_id": "fake-session", "resume_gateway_url": f"ws://127.0.0.1:{self.port}/gateway",
                "application": {"id": str(APP_ID), "flags": 0}, "private_channels": [], "relationships": []}

    def _guild(self) -> dict[str, Any]:
        members = [self._member(u) for u in [self.bot, *self.users.values()]]
        return {
            "id": str(GUILD_ID), "name": "Creators", "owner_id": str(OWNER_ID), "icon": None,
            "roles": [self._role(GUILD_ID, "@everyone", str(EVERYONE), 0),
                      self._role(ADMIN_ROLE_ID, "admins", "8", 2),
                      self._role(EDITOR_ROLE_ID, "editors", str(EVERYONE), 1),
                      self._role(BOT_ROLE_ID, "ettametta", str(BOT_INVITE), 3)],
            "members": members, "member_count": len(members),
            "channels": [self._channel(c) for c in CHANNEL_NAMES],
            "emojis": [], "stickers": [], "features": [], "premium_tier": self.premium_tier, "large": False,
            "unavailable": False, "threads": [], "voice_states": [], "presences": [],
            "joined_at": _now(), "system_channel_id": str(CHANNEL_ID), "mfa_level": 0,
            "verification_level": 0, "explicit_content_filter": 0, "default_message_notifications": 0,
        }

    @staticmethod
    def _role(role_id: int, name: str, permissions: str, position: int) -> dict[str, Any]:
        return {"id": str(role_id), "name": name, "permissions": permissions, "position": position,
                "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0}

    def _channel(self, channel_id: int) -> dict[str, Any]:
        return {"id": str(channel_id), "type": 0, "name": CHANNEL_NAMES[channel_id],
                "position": list(CHANNEL_NAMES).index(channel_id), "guild_id": str(GUILD_ID),
                "permission_overwrites": [o.payload() for o in self.overwrites[channel_id]],
                "nsfw": False, "topic": None, "last_message_id": None, "rate_limit_per_user": 0,
                "parent_id": None}

    def _member(self, user: FakeUser) -> dict[str, Any]:
        roles = [BOT_ROLE_ID] if user is self.bot else user.roles
        return {"user": user.payload(bot=user is self.bot), "roles": [str(r) for r in roles],
                "joined_at": _now(), "deaf": False, "mute": False, "flags": 0}

    def _permissions(self, user: FakeUser) -> str:
        return "8" if ADMIN_ROLE_ID in user.roles else str(EVERYONE)

    def bot_permissions(self, channel_id: int) -> int:
        """What the bot may do in a guild channel: its role and @everyone, with the overwrites."""
        roles = {GUILD_ID, BOT_ROLE_ID}
        return channel_permissions(EVERYONE | BOT_INVITE, self.overwrites[channel_id], roles)

    async def _interact(
        self, kind: int, data: dict[str, Any], user: FakeUser, *, dm: bool = False,
        message: dict[str, Any] | None = None, channel_id: int = CHANNEL_ID,
    ) -> FakeInteraction:
        interaction = FakeInteraction(next(self._ids), f"tok-{next(self._ids)}", kind, user,
                                      self.dm_channel_id(user) if dm else channel_id, self.now(),
                                      self.interaction_upload_limit)
        self.interactions[interaction.id] = interaction
        payload: dict[str, Any] = {
            "id": str(interaction.id), "application_id": str(APP_ID), "type": kind,
            "token": interaction.token, "version": 1, "data": data,
            "channel_id": str(interaction.channel_id), "locale": "en-US",
            "attachment_size_limit": interaction.attachment_size_limit, "entitlements": [],
            "app_permissions": str(EVERYONE | BOT_INVITE), "authorizing_integration_owners": {},
            "context": 1 if dm else 0,
        }
        if dm:
            payload["user"] = user.payload()
            payload["channel"] = self._dm_channel(user)
        else:
            member = self._member(user)
            member["permissions"] = self._permissions(user)
            payload.update(guild_id=str(GUILD_ID), guild_locale="en-US", member=member,
                           channel=self._channel(channel_id))
        if message is not None:
            payload["message"] = message
        await self._dispatch("INTERACTION_CREATE", payload)
        return interaction

    # --- REST --------------------------------------------------------------------------------
    async def _me(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bot {self.token}":
            return _error(401, 0, "401: Unauthorized")
        return _json(self.bot.payload(bot=True))

    async def _application(self, request: web.Request) -> web.Response:
        return _json({"id": str(APP_ID), "name": "ettametta", "icon": None, "description": "",
                      "rpc_origins": [], "bot_public": True, "bot_require_code_grant": False,
                      "owner": self.bot.payload(), "summary": "", "verify_key": "00", "flags": 0,
                      "team": None})

    async def _sync(self, request: web.Request) -> web.Response:
        commands = await request.json()
        scope = f"guild:{request.match_info['guild']}" if "guild" in request.match_info else "global"
        answered = [{**c, "id": str(next(self._ids)), "application_id": str(APP_ID), "version": "1"}
                    for c in commands]
        self.command_syncs.append((scope, answered))
        return _json(answered)

    async def _callback(self, request: web.Request) -> web.Response:
        interaction = self.interactions.get(int(request.match_info["id"]))
        if interaction is None or interaction.token != request.match_info["token"]:
            return _error(404, 10062, "Unknown interaction")
        elapsed = self.now() - interaction.created
        if elapsed > DEADLINE_SECONDS:
            self.late.append(interaction.id)
            return _error(404, 10062, "Unknown interaction")
        if interaction.acknowledged is not None:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        body, files = await _read_body(request)
        kind, data = body["type"], body.get("data") or {}
        interaction.acknowledged, interaction.acknowledged_after = kind, elapsed
        resource: dict[str, Any] = {"type": kind}
        flags = int(data.get("flags") or 0)
        if kind in (4, 5):
            message = self._store(interaction.channel_id, data, files, flags | (LOADING if kind == 5 else 0))
            message["interaction_id"] = interaction.id
            interaction.original_id = int(message["id"])
            resource["message"] = message
        if kind == 8:
            interaction.choices = data.get("choices", [])
        return _json({"interaction": {"id": str(interaction.id), "type": interaction.type,
                                      "response_message_id": str(interaction.original_id or "") or None,
                                      "response_message_loading": kind == 5,
                                      "response_message_ephemeral": bool(flags & EPHEMERAL)},
                      "resource": resource})

    def _by_token(self, token: str) -> FakeInteraction | None:
        return next((i for i in self.interactions.values() if i.token == token), None)

    def _token_refusal(self, interaction: FakeInteraction | None) -> web.Response | None:
        """An interaction's token works for 15 minutes; then its webhook says 401 / 50027."""
        if interaction is not None and self.now() - interaction.created > TOKEN_LIFETIME_SECONDS:
            return _error(401, 50027, "Invalid Webhook Token")
        return None

    async def _edit_original(self, request: web.Request) -> web.Response:
        interaction = self._by_token(request.match_info["token"])
        if expired := self._token_refusal(interaction):
            return expired
        if interaction is None or interaction.original_id is None:
            return _error(404, 10008, "Unknown Message")
        return await self._fill(request, interaction, self.messages[interaction.original_id])

    async def _fill(
        self, request: web.Request, interaction: FakeInteraction, message: dict[str, Any] | None
    ) -> web.Response:
        """Answer an interaction: edit `message` (the deferred one) or, with None, post a new one."""
        body, files = await _read_body(request)
        if any(len(data) > interaction.attachment_size_limit for _, data in files):
            return _error(413, 40005, "Request entity too large")
        if message is None:
            message = self._store(interaction.channel_id, body, files, int(body.get("flags") or 0))
            message["interaction_id"] = interaction.id
            return _json(message)
        self._apply_edit(message, body, files)
        message["flags"] = int(message.get("flags", 0)) & ~LOADING
        return _json(message)

    async def _delete_original(self, request: web.Request) -> web.Response:
        interaction = self._by_token(request.match_info["token"])
        if expired := self._token_refusal(interaction):
            return expired
        if interaction is None or interaction.original_id is None:
            return _error(404, 10008, "Unknown Message")
        self.messages[interaction.original_id]["deleted"] = True
        return web.Response(status=204)

    async def _followup(self, request: web.Request) -> web.Response:
        interaction = self._by_token(request.match_info["token"])
        if expired := self._token_refusal(interaction):
            return expired
        if interaction is None or interaction.acknowledged is None:
            return _error(404, 10015, "Unknown Webhook")
        original = self.messages.get(interaction.original_id or 0)
        loading = original is not None and not original.get("deleted") and int(original["flags"]) & LOADING
        # Discord: the first follow-up after a 'thinking' defer becomes the deferred message,
        # with the defer's visibility, whatever the follow-up asked for.
        return await self._fill(request, interaction, original if loading else None)

    async def _post_message(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel"])
        if channel_id in self.deleted_channels:
            return _error(404, 10003, "Unknown Channel")
        if self.rate_limited_posts:
            self.rate_limited_posts -= 1
            return _rate_limited(0.05)
        if limited := self._limited(self.post_limits, channel_id):
            return limited
        recipient = next((u for u in self.users.values() if self.dm_channel_id(u) == channel_id), None)
        if recipient is not None and not recipient.dms_open:
            return _error(403, 50007, "Cannot send messages to this user")
        body, files = await _read_body(request)
        if recipient is None and (refused := refusal_to_post(
                self.bot_permissions(channel_id), embeds=bool(body.get("embeds")), files=bool(files))):
            return _error(*refused)
        limit = self.dm_upload_limit if recipient is not None else self.guild_upload_limit
        if any(len(data) > limit for _, data in files):
            return _error(413, 40005, "Request entity too large")
        return _json(self._store(channel_id, body, files, int(body.get("flags") or 0)))

    def _limited(self, buckets: dict[int, Bucket], channel_id: int) -> web.Response | None:
        bucket = buckets.get(channel_id)
        wait = bucket.retry_after(self.now()) if bucket else None
        return _rate_limited(wait) if wait is not None else None

    async def _edit_message(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel"])
        if channel_id in CHANNEL_NAMES and not self.bot_permissions(channel_id) & VIEW_CHANNEL:
            return _error(*MISSING_ACCESS)
        message = self.messages.get(int(request.match_info["message"]))
        if message is None or message.get("deleted"):
            return _error(404, 10008, "Unknown Message")
        if limited := self._limited(self.edit_limits, channel_id):
            return limited
        body, files = await _read_body(request)
        self._apply_edit(message, body, files)
        return _json(message)

    async def _add_reaction(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel"])
        needed = ADD_REACTIONS | READ_MESSAGE_HISTORY
        if channel_id in CHANNEL_NAMES and self.bot_permissions(channel_id) & needed != needed:
            return _error(*MISSING_PERMISSIONS)
        emoji = unquote(request.match_info["emoji"])
        self.reactions.setdefault(int(request.match_info["message"]), []).append((emoji, self.bot.id))
        return web.Response(status=204)

    async def _remove_reaction(self, request: web.Request) -> web.Response:
        key = (unquote(request.match_info["emoji"]), int(request.match_info["user"]))
        found = self.reactions.get(int(request.match_info["message"]), [])
        if key in found:
            found.remove(key)
        return web.Response(status=204)

    async def _open_dm(self, request: web.Request) -> web.Response:
        user = self.users.get(int((await request.json())["recipient_id"]))
        if user is None:
            return _error(404, 10013, "Unknown User")
        return _json(self._dm_channel(user))

    async def _get_user(self, request: web.Request) -> web.Response:
        user = self.users.get(int(request.match_info["user"]))
        return _json(user.payload()) if user else _error(404, 10013, "Unknown User")

    async def _get_channel(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel"])
        if channel_id in CHANNEL_NAMES:
            return _json(self._channel(channel_id))
        user = next((u for u in self.users.values() if self.dm_channel_id(u) == channel_id), None)
        if user is None:
            return _error(404, 10003, "Unknown Channel")
        return _json(self._dm_channel(user))

    async def _get_guild(self, request: web.Request) -> web.Response:
        if int(request.match_info["guild"]) != GUILD_ID:
            return _error(*MISSING_ACCESS)
        guild = self._guild()
        for key in ("members", "channels", "threads", "voice_states", "presences", "member_count"):
            guild.pop(key)
        return _json(guild)

    @web.middleware
    async def _record_refusals(self, request: web.Request, handler: Any) -> web.StreamResponse:
        response = await handler(request)
        if response.status >= 400:
            body = getattr(response, "body", None)
            try:
                code = int(json.loads(body).get("code", 0)) if isinstance(body, bytes) else 0
            except (ValueError, AttributeError):
                code = 0
            self.refused.append(Refusal(request.method, request.path, response.status, code))
        return response

    def _dm_channel(self, user: FakeUser) -> dict[str, Any]:
        return {"id": str(self.dm_channel_id(user)), "type": 1, "recipients": [user.payload()],
                "last_message_id": None}

    async def _file(self, request: web.Request) -> web.Response:
        data = self.files.get(request.match_info["key"])
        return web.Response(body=data) if data is not None else web.Response(status=404)

    # --- messages ----------------------------------------------------------------------------
    def _store(self, channel_id: int, body: dict[str, Any], files: list[tuple[str, bytes]],
               flags: int) -> dict[str, Any]:
        message_id = next(self._ids)
        message = {
            "id": str(message_id), "channel_id": str(channel_id), "author": self.bot.payload(bot=True),
            "content": "", "timestamp": _now(), "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
            "embeds": [], "pinned": False, "type": 0, "flags": flags, "components": [],
        }
        if channel_id in CHANNEL_NAMES:
            message["guild_id"] = str(GUILD_ID)
        self._apply_edit(message, body, files)
        self.messages[message_id] = message
        return message

    def _apply_edit(
        self, message: dict[str, Any], body: dict[str, Any], files: list[tuple[str, bytes]]
    ) -> None:
        if message.get("attachments") or message.get("embeds") or message.get("content"):
            message["edited_timestamp"] = _now()
            self.edits.append(int(message["id"]))
        for key in ("content", "embeds", "components"):
            if key in body:
                message[key] = body[key] or ([] if key != "content" else "")
        if files or "attachments" in body:
            message["attachments"] = [
                {"id": str(next(self._ids)), "filename": name, "size": len(data),
                 "url": self.add_file(name, data), "proxy_url": ""}
                for name, data in files
            ]


async def _read_body(request: web.Request) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    if not request.content_type.startswith("multipart/"):
        text = await request.text()
        return (json.loads(text) if text else {}), []
    payload: dict[str, Any] = {}
    files: list[tuple[str, bytes]] = []
    reader = await request.multipart()
    async for part in reader:
        if part.name == "payload_json":
            payload = json.loads(await part.text())  # type: ignore[union-attr]
        else:
            files.append((part.filename or "file", bytes(await part.read())))  # type: ignore[union-attr]
    return payload, files


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": JSON})


def _error(status: int, code: int, message: str) -> web.Response:
    return _json({"code": code, "message": message}, status)


def _rate_limited(retry_after: float) -> web.Response:
    body, headers = too_many_requests(retry_after)
    return web.Response(status=429, body=body, headers=headers)


def _now() -> str:
    return datetime.now(UTC).isoformat()
