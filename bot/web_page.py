"""The web server's few pages: one small, branded HTML page readable on a phone and a desktop.

Text is always escaped; the only markup added is `<code>` around the bot's commands. The
page's one inline stylesheet is allowed by its hash in the Content-Security-Policy, which
forbids everything else (scripts, frames, forms, embedding in another site's frame).
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from aiohttp import web

STYLE = """
:root{color-scheme:light dark;--fg:#1b1b1f;--bg:#f4f4f7;--card:#fff;--muted:#55555f;
--accent:#5b3fe0;--ok:#146c3a;--bad:#b3261e}
@media (prefers-color-scheme:dark){:root{--fg:#ececf1;--bg:#131316;--card:#1f1f24;--muted:#a9a9b3;
--accent:#a996ff;--ok:#5fd39a;--bad:#ff8a80}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;padding:20px 16px;background:var(--bg);color:var(--fg);
font:18px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",sans-serif}
main{max-width:36rem;margin:0 auto;padding:24px 20px;background:var(--card);border-radius:16px;
box-shadow:0 1px 3px rgba(0,0,0,.12);overflow-wrap:anywhere}
.brand{margin:0 0 12px;font-size:16px;font-weight:700;letter-spacing:.03em;color:var(--accent)}
h1{margin:0 0 12px;font-size:28px;line-height:1.2}
h1.ok{color:var(--ok)}h1.bad{color:var(--bad)}
p{margin:0 0 14px}
p.next{padding-left:12px;border-left:4px solid var(--accent)}
p.small{color:var(--muted);font-size:16px}
code{font:600 17px/1.4 ui-monospace,Menlo,Consolas,"DejaVu Sans Mono",monospace;padding:1px 6px;
border-radius:6px;background:rgba(127,127,127,.16);white-space:nowrap}
@media (min-width:700px){body{padding:64px 24px}main{padding:40px 44px}}
""".strip()
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; base-uri 'none'; "
                           "form-action 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Server": "ettametta",
}
TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title} · ettametta</title>
<style>{style}</style>
</head>
<body>
<main>
<p class="brand">ettametta</p>
<h1 class="{tone}">{heading}</h1>
{paragraphs}
</main>
</body>
</html>
"""
_COMMAND = re.compile(r"(?<![\w/])/[a-z_]+(?: (?:youtube|tiktok))?")


@dataclass(frozen=True)
class Line:
    """One paragraph of plain text; `kind` is "" (body), "next" (what to do) or "small"."""

    text: str
    kind: str = ""


def render(heading: str, lines: Sequence[Line], *, tone: str = "") -> str:
    """The page's HTML; `tone` is "ok", "bad" or "" and colours the heading."""
    paragraphs = "\n".join(
        f'<p class="{line.kind}">{_with_commands(line.text)}</p>' if line.kind
        else f"<p>{_with_commands(line.text)}</p>"
        for line in lines)
    return TEMPLATE.format(title=_escape(heading), heading=_escape(heading), tone=tone,
                           style=STYLE, paragraphs=paragraphs)


def respond(heading: str, lines: Sequence[Line], *, tone: str = "", status: int = 200) -> web.Response:
    """The page as a response that no cache keeps (it may describe someone's account)."""
    return web.Response(text=render(heading, lines, tone=tone), content_type="text/html", status=status,
                        headers={"Cache-Control": "no-store"})


def _with_commands(text: str) -> str:
    """Escape the text, then show the bot's commands (/connect youtube) as code."""
    return _COMMAND.sub(lambda found: f"<code>{found.group(0)}</code>", _escape(text))


def _escape(text: str) -> str:
    """Text placed between tags (never in an attribute): `&`, `<` and `>` are what must go."""
    return html.escape(text, quote=False)
