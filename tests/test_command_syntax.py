"""The command syntax shared by the console and Telegram."""

from __future__ import annotations

import pytest

from core.commands.parser import bind, parse_line
from core.commands.registry import Command, UsageError, arg, flag, option
from core.messages import Reply


def _noop(inv, svc) -> Reply:
    return Reply(text="")


RENDER = Command(
    "render",
    "Render a short.",
    _noop,
    (
        arg("source", "what to render"),
        arg("preset", "preset", required=False),
        option("auto-trim", "seconds", type=int),
        option("title", "a title"),
        flag("cc-only", "only Creative Commons"),
    ),
)


def test_positionals_options_flags_and_quotes() -> None:
    line = parse_line('/render clip.mp4 bold auto-trim=30 cc-only title="My best clip"')
    assert line.name == "render"
    assert bind(RENDER, line.tokens) == {
        "source": "clip.mp4", "preset": "bold", "auto-trim": 30, "title": "My best clip",
        "cc-only": True,
    }


def test_telegram_bot_suffix_and_smart_quotes_are_understood() -> None:
    line = parse_line("/render@ettametta_bot “my clip.mp4”")
    assert line.name == "render"
    assert bind(RENDER, line.tokens)["source"] == "my clip.mp4"


def test_a_url_with_equals_signs_stays_a_positional_argument() -> None:
    tokens = parse_line("/render https://www.youtube.com/watch?v=abc&t=3").tokens
    assert bind(RENDER, tokens)["source"] == "https://www.youtube.com/watch?v=abc&t=3"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/render", "SOURCE is missing."),
        ("/render a b c", "I don't know what to do with 'c'"),
        ("/render a auto-trim=soon", "auto-trim must be a whole number"),
        ("/render a colour=red", "/render has no option 'colour'"),
        ('/render "unclosed', "A quote is not closed"),
        ("render a", "Commands start with /"),
    ],
)
def test_mistakes_get_a_clear_message_with_the_usage(line: str, message: str) -> None:
    with pytest.raises(UsageError) as error:
        parsed = parse_line(line)
        bind(RENDER, parsed.tokens)
    assert message in str(error.value)
