"""A real headless Chromium, driven over the DevTools protocol, to look at our web pages.

Debian's `chromium` (installed by scripts/test-deps.sh) runs as root with the flags below
and a fresh profile; the page is loaded with a phone's or a desktop's screen emulated, then
measured (layout width, text sizes, margins, whether the stylesheet applied) and
photographed. No Playwright: the protocol over aiohttp's websocket client is enough.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars", "--remote-debugging-port=0")
START_TIMEOUT_S = 60.0
PHONE = (390, 844, 3.0, True)
DESKTOP = (1280, 800, 1.0, False)

MEASURE = """
(() => {
  const main = document.querySelector('main');
  const box = main ? main.getBoundingClientRect() : {left: 0, right: 0};
  const texts = [...document.querySelectorAll('main p, main h1')];
  const sizes = texts.map(e => parseFloat(getComputedStyle(e).fontSize));
  return JSON.stringify({
    layoutWidth: document.documentElement.clientWidth,
    scrollWidth: document.documentElement.scrollWidth,
    minFontPx: sizes.length ? Math.min(...sizes) : 0,
    bodyFontPx: texts.length > 2 ? parseFloat(getComputedStyle(texts[2]).fontSize) : 0,
    mainLeft: box.left, mainRight: box.right,
    styled: main ? getComputedStyle(main).borderTopLeftRadius : '',
    text: document.body.innerText,
  });
})()
"""


@dataclass(frozen=True)
class Look:
    """What a person would see: sizes in CSS pixels at the emulated screen's width."""

    screen_width: int
    layout_width: int
    scroll_width: int
    min_font_px: float
    main_left: float
    main_right: float
    styled: bool
    text: str

    @property
    def smallest_text_on_screen_px(self) -> float:
        """Text size as shown: a page laid out wider than the screen is shrunk to fit."""
        return self.min_font_px * self.screen_width / max(self.layout_width, 1)


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    def __init__(self, binary: str) -> None:
        self.binary = binary
        self._profile = tempfile.TemporaryDirectory(prefix="ettametta-chromium-")
        self._process: subprocess.Popen[bytes] | None = None
        self._http: aiohttp.ClientSession | None = None
        self.port = 0

    async def start(self) -> None:
        self._process = subprocess.Popen(
            [self.binary, *FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        active = Path(self._profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + START_TIMEOUT_S
        while not (active.is_file() and active.read_text().strip()):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chromium did not start (exit {self._process.poll()})")
            await asyncio.sleep(0.1)
        self.port = int(active.read_text().split()[0])
        self._http = aiohttp.ClientSession()

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.close()
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._profile.cleanup()

    async def look(self, url: str, screenshot: Path, *, screen: tuple[int, int, float, bool] = PHONE) -> Look:
        """Open `url` in a new tab on the emulated `screen`, measure it, and save a PNG."""
        assert self._http is not None
        async with self._http.put(f"http://127.0.0.1:{self.port}/json/new?about:blank") as answer:
            target = await answer.json(content_type=None)
        try:
            async with self._http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                tab = _Tab(ws)
                width, height, scale, mobile = screen
                await tab.call("Emulation.setDeviceMetricsOverride",
                               width=width, height=height, deviceScaleFactor=scale, mobile=mobile)
                await tab.call("Page.enable")
                await tab.call("Page.navigate", url=url)
                await tab.event("Page.loadEventFired")
                measured = json.loads((await tab.call("Runtime.evaluate", expression=MEASURE,
                                                      returnByValue=True))["result"]["value"])
                shot = await tab.call("Page.captureScreenshot", format="png")
                screenshot.write_bytes(base64.b64decode(shot["data"]))
        finally:
            async with self._http.get(f"http://127.0.0.1:{self.port}/json/close/{target['id']}"):
                pass
        return Look(width, measured["layoutWidth"], measured["scrollWidth"], measured["minFontPx"],
                    measured["mainLeft"], measured["mainRight"], measured["styled"] not in ("", "0px"),
                    measured["text"])


class _Tab:
    """One page's DevTools connection: numbered calls, and the events seen meanwhile."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.events: list[str] = []

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self.ids)
        await self.ws.send_json({"id": call_id, "method": method, "params": params})
        while True:
            message = await asyncio.wait_for(self.ws.receive_json(), START_TIMEOUT_S)
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message["method"])

    async def event(self, name: str) -> None:
        while name not in self.events:
            message = await asyncio.wait_for(self.ws.receive_json(), START_TIMEOUT_S)
            if "method" in message:
                self.events.append(message["method"])


@contextlib.asynccontextmanager
async def running_browser() -> AsyncIterator[Browser]:
    binary = chromium()
    if binary is None:
        raise LookupError("chromium is not installed (scripts/test-deps.sh installs it)")
    browser = Browser(binary)
    await browser.start()
    try:
        yield browser
    finally:
        await browser.stop()
