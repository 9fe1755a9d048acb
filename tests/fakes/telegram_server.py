"""A fake Telegram Bot API on 127.0.0.1 that python-telegram-bot talks to for real.

It serves `/bot{token}/{method}` (form-encoded or multipart bodies, `{"ok": ..., "result": ...}`
answers) and `/file/bot{token}/{path}` downloads, and enforces the limits that shape the
front: 1–64 byte callback_data, 50 MB uploads (2000 MB when started as a local Bot API
server), 403 for a private chat the user never started, 400 for an edit that changes
nothing, and 429 with retry_after when a test asks for it. Chats change under the bot as
they do on Telegram: a group upgraded to a supergroup answers its old id with 400 and
`migrate_to_chat_id`; a message people deleted can't be edited ("message to edit not
found"); a bot kicked from a group, blocked by a person, or writing to a deleted chat gets
Telegram's 403s and 400s, word for word.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

MB = 1024 * 1024
BOT_ID = 7000
BOT_USERNAME = "ettametta_test_bot"
TOKEN = "7000:TEST-token"
COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    uploads: dict[str, int] = field(default_factory=dict)
    ok: bool = False


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


class FakeTelegram:
    """One fake Bot API server; tests push updates in and read `calls` and `messages` out."""

    def __init__(self, *, local_server: bool = False, token: str = TOKEN) -> None:
        self.token = token
        self.upload_limit = (2000 if local_server else 50) * MB
        self.calls: list[Call] = []
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.started_users: set[int] = set()
        self.admins: dict[int, set[int]] = {}
        self.titles: dict[int, str] = {}
        self.files: dict[str, Path] = {}
        self.failures: dict[str, list[ApiError]] = {}
        self.migrated: dict[int, int] = {}
        self.refusals: dict[int, ApiError] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(100)
        self._new_update = asyncio.Event()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.root = ""

    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=self.upload_limit + MB)
        app.router.add_post("/bot{token}/{method}", self._method)
        app.router.add_get("/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.root = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- what tests do -------------------------------------------------------------------

    def group(self, chat_id: int, title: str, admins: set[int]) -> None:
        self.titles[chat_id] = title
        self.admins[chat_id] = admins

    def fail_next(self, method: str, code: int, description: str, **parameters: Any) -> None:
        self.failures.setdefault(method, []).append(ApiError(code, description, parameters or None))

    def add_file(self, path: Path) -> str:
        file_id = f"file{len(self.files) + 1}"
        self.files[file_id] = path
        return file_id

    def send_text(self, chat_id: int, user_id: int, text: str, **extra: Any) -> dict[str, Any]:
        """A person writes `text` in a chat (a private chat when chat_id == user_id)."""
        message = self._incoming(chat_id, user_id, text=text, **extra)
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if chat_id == user_id:
            self.started_users.add(user_id)  # writing to a bot in private means having started it
        return self._push({"message": message})

    def send_document(self, chat_id: int, user_id: int, path: Path, caption: str) -> dict[str, Any]:
        file_id = self.add_file(path)
        document = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": path.name,
                    "mime_type": "video/mp4", "file_size": path.stat().st_size}
        return self._push({"message": self._incoming(chat_id, user_id, caption=caption,
                                                     document=document)})

    def migrate(self, old_chat_id: int, new_chat_id: int, *, announce: bool = True) -> None:
        """A group becomes a supergroup: from now on its old id is refused with the new one.

        Telegram tells both chats (the old one names the new id, the new one the old id);
        `announce=False` is a bot that was offline and missed both notices. The history goes
        along (here with the same message ids), so its buttons can be pressed in the new chat.
        """
        self.titles[new_chat_id] = self.titles.get(old_chat_id, "group")
        self.admins[new_chat_id] = self.admins.get(old_chat_id, set())
        self.migrated[old_chat_id] = new_chat_id
        for (chat, message_id), message in list(self.messages.items()):
            if chat == old_chat_id:
                self.messages[(new_chat_id, message_id)] = {**message, "chat": self.chat(new_chat_id)}
        if announce:
            self._push({"message": self._incoming(old_chat_id, BOT_ID, migrate_to_chat_id=new_chat_id)})
            self._push({"message": self._incoming(new_chat_id, BOT_ID, migrate_from_chat_id=old_chat_id)})

    def delete_message(self, chat_id: int, message_id: int) -> None:
        """Someone deletes a message: editing it is refused from now on."""
        del self.messages[(chat_id, message_id)]

    def kick_bot(self, chat_id: int) -> None:
        self.refusals[chat_id] = ApiError(403, "Forbidden: bot was kicked from the supergroup chat")

    def block_bot(self, user_id: int) -> None:
        self.refusals[user_id] = ApiError(403, "Forbidden: bot was blocked by the user")

    def delete_chat(self, chat_id: int) -> None:
        self.refusals[chat_id] = ApiError(400, "Bad Request: chat not found")

    def press(self, chat_id: int, user_id: int, message_id: int, data: str) -> dict[str, Any]:
        message = self.messages[(chat_id, message_id)]
        query = {"id": f"cq{next(self._update_ids)}", "from": _user(user_id), "chat_instance": "ci",
                 "data": data, "message": message}
        return self._push({"callback_query": query})

    def sent(self, method: str | None = None, chat_id: int | None = None) -> list[Call]:
        """Requests made, answered or refused (`Call.ok` tells which)."""
        return [c for c in self.calls if (method is None or c.method == method)
                and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))]

    async def wait_for(self, predicate: Any, timeout: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = predicate()
            if found:
                return found
            await asyncio.sleep(0.02)
        raise AssertionError(f"timed out; calls so far: {[c.method for c in self.calls]}")

    # ---- the HTTP side -------------------------------------------------------------------

    def _incoming(self, chat_id: int, user_id: int, **content: Any) -> dict[str, Any]:
        return {"message_id": next(self._message_ids), "date": int(time.time()),
                "chat": self.chat(chat_id), "from": _user(user_id), **content}

    def _push(self, update: dict[str, Any]) -> dict[str, Any]:
        update["update_id"] = next(self._update_ids)
        self._updates.append(update)
        self._new_update.set()
        return update

    def chat(self, chat_id: int) -> dict[str, Any]:
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": f"user{chat_id}"}
        kind = "group" if chat_id in self.migrated else "supergroup"
        return {"id": chat_id, "type": kind, "title": self.titles.get(chat_id, "group")}

    def _refusal(self, chat_id: Any) -> ApiError | None:
        """What Telegram answers any request naming a chat that changed under the bot."""
        try:
            chat = int(chat_id)
        except (TypeError, ValueError):
            return None
        if chat in self.migrated:
            return ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                            {"migrate_to_chat_id": self.migrated[chat]})
        return self.refusals.get(chat)

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _answer(ApiError(401, "Unauthorized"))
        method = request.match_info["method"]
        try:
            params, uploads = await _read_params(request)
        except web.HTTPRequestEntityTooLarge:
            self.calls.append(Call(method, {}, {"too_large": request.content_length or 0}))
            return _answer(ApiError(413, "Request Entity Too Large"))
        call = Call(method, params, uploads)
        self.calls.append(call)
        queued = self.failures.get(method)
        if queued:
            return _answer(queued.pop(0))
        refused = self._refusal(params.get("chat_id"))
        if refused is not None:
            return _answer(refused)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _answer(ApiError(404, "Not Found: method not found"))
        try:
            result = await handler(params, uploads)
        except ApiError as exc:
            return _answer(exc)
        call.ok = True
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.StreamResponse:
        file_id = Path(request.match_info["path"]).stem
        if request.match_info["token"] != self.token or file_id not in self.files:
            raise web.HTTPNotFound()
        return web.FileResponse(self.files[file_id])

    async def _api_getMe(self, params: dict[str, Any], uploads: dict[str, int]) -> Any:
        return {"id": BOT_ID, "is_bot": True, "first_name": "ettametta",
                "username": BOT_USERNAME, "can_join_groups": True}

    async def _api_getUpdates(self, params: dict[str, Any], uploads: dict[str, int]) -> Any:
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and float(params.get("timeout") or 0) > 0:
            self._new_update.clear()
            waiters = [asyncio.ensure_future(self._new_update.wait()),
                       asyncio.ensure_future(self._closing.wait())]
            await asyncio.wait(waiters, timeout=min(float(params["timeout"]), 2.0),
                               return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
        return list(self._updates)

    async def _api_deleteWebhook(self, params: dict[str, Any], uploads: dict[str, int]) -> Any:
        return True

    async def _api_setWebhook(self, params: dict[str, Any], uploads: dict[str, int]) -> Any:
        return True

    async def _api_setMyCommands(self, params: dict[str, Any], uploads: dict[str, int]) -> Any:
        commands = json.loads(params["commands"])
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands")
        for entry in commands:
            if not COMMAND_NAME.match(entry["command"]) or not 1 <= len(entry["description"]) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        return True

    async def _api_getChatMember(self, params: dict[str, Any], uploads: dict[str, int]) -> Any:
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        status = "administrator" if user_id in self.admins.get(chat_id, set()) else "member"
        member: dict[str, Any] = {"status": status, "user": _user(user_id)}
        if status == "administrator":
            member.update({key: True for key in _ADMIN_RIGHTS})
        return member

    async def _api_getFile(self, params: dict[str, Any], uploads: dict[str, int]) -> Any:
        file_id = params["file_id"]
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        size = self.files[file_id].stat().st_size
        if size > 20 * MB and self.upload_limit == 50 * MB:
            raise ApiError(400, "Bad Request: file is too big")
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": size,
                "file_path": f"documents/{file_id}{self.files[file_id].suffix}"}

    async def _api_answerCallbackQuery(self, params: dict[str, Any], uploads: dict[str, int]) -> Any:
        return True

    async def _api_sendMessage(self, params: dict[str, Any], uploads: dict[str, int]) -> Any:
        return self._store(params, text=params["text"])

    async def _api_sendVideo(self, params: dict[str, Any], uploads: dict[str, int]) -> Any:
        video = {**self._media(params, uploads, "video"), "width": 1080, "height": 1920, "duration": 8}
        return self._store(params, video=video, caption=params.get("caption", ""))

    async def _api_sendDocument(self, params: dict[str, Any], uploads: dict[str, int]) -> Any:
        return self._store(params, document=self._media(params, uploads, "document"),
                           caption=params.get("caption", ""))

    async def _api_sendPhoto(self, params: dict[str, Any], uploads: dict[str, int]) -> Any:
        media = self._media(params, uploads, "photo")
        if uploads.get("photo", 0) > 10 * MB:
            raise ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        return self._store(params, photo=[{**media, "width": 90, "height": 160}],
                           caption=params.get("caption", ""))

    async def _api_editMessageText(self, params: dict[str, Any], uploads: dict[str, int]) -> Any:
        key = (int(params["chat_id"]), int(params["message_id"]))
        if key not in self.messages:
            raise ApiError(400, "Bad Request: message to edit not found")
        message = self.messages[key]
        markup = json.loads(params["reply_markup"]) if params.get("reply_markup") else None
        if message.get("text") == params["text"] and message.get("reply_markup") == markup:
            raise ApiError(400, "Bad Request: message is not modified: specified new message content "
                                "and reply markup are exactly the same as a current content and reply "
                                "markup of the message")
        message["text"] = params["text"]
        message["edit_date"] = int(time.time())
        if markup is not None:
            message["reply_markup"] = markup
        return message

    def _media(self, params: dict[str, Any], uploads: dict[str, int], field_name: str) -> dict[str, Any]:
        if field_name not in uploads and not params.get(field_name):
            raise ApiError(400, f"Bad Request: there is no {field_name} in the request")
        return {"file_id": f"sent{len(self.calls)}", "file_unique_id": f"us{len(self.calls)}",
                "file_size": uploads.get(field_name, 0)}

    def _store(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        if chat_id > 0 and chat_id not in self.started_users:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        markup = json.loads(params["reply_markup"]) if params.get("reply_markup") else None
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": self.chat(chat_id), "from": _user(BOT_ID, bot=True), **content}
        if markup is not None:
            message["reply_markup"] = markup
        self.messages[(chat_id, message["message_id"])] = message
        return message


_ADMIN_RIGHTS = ("can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
                 "can_manage_video_chats", "can_restrict_members", "can_promote_members",
                 "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
                 "can_delete_stories")


def _user(user_id: int, *, bot: bool = False) -> dict[str, Any]:
    if bot:
        return {"id": user_id, "is_bot": True, "first_name": "ettametta", "username": BOT_USERNAME}
    return {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"}


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, int]]:
    """Form fields as strings; uploaded files reduced to their sizes (what the limits look at)."""
    if not request.can_read_body:
        return {}, {}
    if request.content_type == "application/json":
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in (await request.json()).items()}, {}
    params: dict[str, Any] = {}
    uploads: dict[str, int] = {}
    for name, value in (await request.post()).items():
        if isinstance(value, web.FileField):
            value.file.seek(0, 2)
            uploads[name] = value.file.tell()
        else:
            params[name] = value
    return params, uploads


def _answer(error: ApiError) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": error.code, "description": error.description}
    if error.parameters:
        body["parameters"] = error.parameters
    return web.json_response(body, status=error.code)
