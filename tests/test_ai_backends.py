"""The real groq and ollama clients against local fakes: good answers, bad ones, and fallbacks."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from core.ai import Brief, describe_plan, generate, words_from
from tests.conftest import make_settings
from tests.fakes.groq_server import CHAT as GROQ_CHAT
from tests.fakes.groq_server import FakeGroq, rate_limited
from tests.fakes.llm_http import Step, good_answer
from tests.fakes.ollama_server import CHAT as OLLAMA_CHAT
from tests.fakes.ollama_server import FakeOllama
from tests.support.proposals import spoken

SPEECH = "Cold brew steeps for twelve hours. It comes out smooth and sweet."


@pytest.fixture
def groq_fake():
    with FakeGroq() as fake:
        yield fake


@pytest.fixture
def ollama_fake():
    with FakeOllama() as fake:
        yield fake


def groq_settings(tmp_path, fake: FakeGroq, **kw):
    return make_settings(tmp_path, llm_backend="groq", groq_api_key=fake.api_key, groq_base_url=fake.url,
                         groq_model=fake.model, llm_timeout_s=5, llm_max_retries=0, **kw)


def ollama_settings(tmp_path, fake: FakeOllama, **kw):
    return make_settings(tmp_path, llm_backend="ollama", ollama_host=fake.url, ollama_model=fake.model,
                         llm_timeout_s=5, **kw)


def brief(**kw) -> Brief:
    return Brief(words=words_from(spoken(SPEECH)), source_title="Cold Brew at Home", niche="coffee", **kw)


def retry_prompt(fake, path: str) -> str:
    return fake.calls(path)[1].body["messages"][-1]["content"]


def test_a_good_groq_answer_becomes_a_valid_proposal(tmp_path, groq_fake) -> None:
    result = generate(groq_settings(tmp_path, groq_fake), brief())
    assert result.backend == "groq" and result.fallbacks == ()
    assert result.metadata.titles[0] == "Cold brew, explained in 30 seconds"
    assert result.metadata.hashtags == ["#coffee", "#ColdBrew", "#Shorts"]
    sent = groq_fake.calls(GROQ_CHAT)[0].body
    assert sent["response_format"]["type"] == "json_schema"
    assert "twelve hours" in sent["messages"][1]["content"]


def test_a_groq_model_without_json_schema_gets_json_mode(tmp_path) -> None:
    with FakeGroq(json_schema=False) as fake:
        result = generate(groq_settings(tmp_path, fake), brief())
    assert result.backend == "groq"
    kinds = [call.body["response_format"]["type"] for call in fake.calls(GROQ_CHAT)]
    assert kinds == ["json_schema", "json_object"]


def test_garbage_is_retried_once_with_the_error_quoted_then_accepted(tmp_path, groq_fake) -> None:
    groq_fake.then("Sure! Here are some great titles for your video:", good_answer())
    result = generate(groq_settings(tmp_path, groq_fake), brief())
    assert result.backend == "groq"
    assert "not valid JSON" in retry_prompt(groq_fake, GROQ_CHAT)
    assert groq_fake.calls(GROQ_CHAT)[1].body["messages"][-2]["content"].startswith("Sure!")


def test_truncated_json_twice_moves_on_to_the_offline_generator(tmp_path, groq_fake) -> None:
    cut = good_answer()[:70]
    groq_fake.then(cut, cut)
    result = generate(groq_settings(tmp_path, groq_fake), brief())
    assert "ends early" in retry_prompt(groq_fake, GROQ_CHAT)
    assert result.backend == "offline"
    assert len(result.fallbacks) == 1 and "groq gave an unusable answer twice" in result.fallbacks[0]
    assert any("Cold Brew" in t for t in result.metadata.titles)


def test_an_over_long_title_is_sent_back_with_the_limit(tmp_path, groq_fake) -> None:
    long_title = "An extremely long title " * 6
    groq_fake.then(good_answer([long_title, "Second", "Third"]), good_answer())
    result = generate(groq_settings(tmp_path, groq_fake), brief())
    problem = retry_prompt(groq_fake, GROQ_CHAT)
    assert "title 1" in problem and "at most 100 characters" in problem
    assert result.backend == "groq" and all(len(t) <= 100 for t in result.metadata.titles)


def test_angle_brackets_in_a_title_are_refused_both_times_then_offline(tmp_path, ollama_fake) -> None:
    bad = good_answer(["<b>Cold</b> brew", "Second title", "Third title"])
    ollama_fake.then(bad, bad)
    result = generate(ollama_settings(tmp_path, ollama_fake), brief())
    assert "can't contain < or >" in retry_prompt(ollama_fake, OLLAMA_CHAT)
    assert result.backend == "offline" and "ollama gave an unusable answer twice" in result.fallbacks[0]
    assert not any("<" in t for t in result.metadata.titles)


def test_a_429_is_retried_after_the_time_groq_asks_for(tmp_path, groq_fake) -> None:
    groq_fake.then(rate_limited(1), good_answer())
    settings = groq_settings(tmp_path, groq_fake).model_copy(update={"llm_max_retries": 1})
    result = generate(settings, brief())
    first, second = groq_fake.calls(GROQ_CHAT)
    assert result.backend == "groq"
    assert second.at - first.at >= 0.9


def test_a_429_that_persists_falls_back_and_says_so(tmp_path, groq_fake) -> None:
    groq_fake.then(rate_limited(30), rate_limited(30))
    result = generate(groq_settings(tmp_path, groq_fake), brief())
    assert result.backend == "offline"
    assert result.fallbacks == ("groq rate limited (asked to retry after 30s)",)


def test_a_slow_groq_times_out_within_the_configured_bound(tmp_path, groq_fake) -> None:
    groq_fake.then(Step(content=good_answer(), delay=3))
    settings = groq_settings(tmp_path, groq_fake).model_copy(update={"llm_timeout_s": 0.5})
    result = generate(settings, brief())
    assert result.backend == "offline" and result.fallbacks == ("groq no answer within 0.5s",)


def test_a_slow_ollama_times_out_and_falls_back(tmp_path, ollama_fake) -> None:
    ollama_fake.then(Step(content=good_answer(), delay=3))
    settings = ollama_settings(tmp_path, ollama_fake).model_copy(update={"llm_timeout_s": 0.5})
    result = generate(settings, brief())
    assert result.backend == "offline" and result.fallbacks == ("ollama no answer within 0.5s",)


def test_ollama_gets_the_schema_as_format_without_streaming(tmp_path, ollama_fake) -> None:
    result = generate(ollama_settings(tmp_path, ollama_fake), brief(hint="shorter"))
    sent = ollama_fake.calls(OLLAMA_CHAT)[0].body
    assert result.backend == "ollama" and result.label == "Ollama qwen3:4b"
    assert sent["stream"] is False and sent["format"]["required"] == ["titles", "description", "hashtags",
                                                                      "hook"]
    assert json.loads(sent["messages"][1]["content"].split("\n", 1)[1])["editor_hint"] == "shorter"


def test_an_unpulled_ollama_model_is_named_in_the_fallback(tmp_path, ollama_fake) -> None:
    settings = ollama_settings(tmp_path, ollama_fake).model_copy(update={"ollama_model": "llama9"})
    result = generate(settings, brief())
    assert result.fallbacks == ("ollama has no model llama9 (run `ollama pull llama9`)",)


def test_auto_prefers_groq_then_ollama_then_offline(tmp_path, groq_fake, ollama_fake) -> None:
    groq_fake.then(rate_limited(30))
    settings = make_settings(tmp_path, llm_backend="auto", groq_api_key=groq_fake.api_key,
                             groq_base_url=groq_fake.url, ollama_host=ollama_fake.url, llm_max_retries=0)
    result = generate(settings, brief())
    assert result.backend == "ollama"
    assert result.fallbacks == ("groq rate limited (asked to retry after 30s)",)
    assert "Groq openai/gpt-oss-20b → Ollama qwen3:4b" in describe_plan(settings)


def test_auto_without_a_key_or_a_running_ollama_is_quietly_offline(tmp_path, ollama_fake) -> None:
    ollama_fake.__exit__()
    settings = make_settings(tmp_path, llm_backend="auto", ollama_host=ollama_fake.url)
    result = generate(settings, brief())
    assert result.backend == "offline" and result.fallbacks == ()


def test_a_wrong_groq_key_is_reported_without_the_key(tmp_path, groq_fake) -> None:
    settings = groq_settings(tmp_path, groq_fake).model_copy(update={"groq_api_key": SecretStr("gsk_wrong")})
    result = generate(settings, brief())
    assert result.fallbacks == ("groq refused the API key (check GROQ_API_KEY)",)
    assert "gsk_wrong" not in " ".join(result.fallbacks)
