"""/status names the LLM chain; doctor says whether the configured LLM answers."""

from __future__ import annotations

from core.doctor import Level, check_llm
from tests.conftest import make_settings
from tests.fakes.groq_server import FakeGroq
from tests.fakes.ollama_server import FakeOllama
from tests.support.proposals import VIEWER, say


def test_status_shows_the_llm_chain(services) -> None:
    assert "LLM: offline (LLM_BACKEND=offline)" in say(services, VIEWER, "/status").text


def test_doctor_reports_a_reachable_groq_and_a_retired_model(tmp_path) -> None:
    with FakeGroq() as fake:
        base = {"llm_backend": "groq", "groq_api_key": fake.api_key, "groq_base_url": fake.url}
        [good] = check_llm(make_settings(tmp_path, **base))
        [retired] = check_llm(make_settings(tmp_path, **base, groq_model="llama-3.1-8b-instant"))
        [refused] = check_llm(make_settings(tmp_path, **{**base, "groq_api_key": "gsk_nope"}))
    assert good.level is Level.ok and "openai/gpt-oss-20b answers" in good.detail
    assert retired.level is Level.warn and "has no model llama-3.1-8b-instant" in retired.detail
    assert refused.level is Level.warn and "refused the API key" in refused.detail
    assert "gsk_nope" not in refused.line()


def test_doctor_checks_ollama_and_its_model(tmp_path) -> None:
    with FakeOllama() as fake:
        [good] = check_llm(make_settings(tmp_path, llm_backend="ollama", ollama_host=fake.url))
        [missing] = check_llm(make_settings(tmp_path, llm_backend="ollama", ollama_host=fake.url,
                                            ollama_model="mistral"))
    assert good.level is Level.ok and "qwen3:4b" in good.detail
    assert missing.level is Level.warn and "ollama pull mistral" in missing.detail
    [absent] = check_llm(make_settings(tmp_path, llm_backend="auto", ollama_host=fake.url))
    assert absent.level is Level.ok and "offline generator" in absent.detail
