"""The offline generator writes from the video itself: different videos, different titles."""

from __future__ import annotations

from core.ai import Brief, generate, limits, words_from
from core.ai.offline import generate as offline_generate
from tests.support.proposals import spoken

COFFEE = ("Did you know cold brew coffee has less acid? It steeps for twelve hours in cold water. "
          "The result is smooth, sweet coffee without the bitterness.")
EVEREST = ("Mount Everest grows about four millimetres every year. Plate tectonics push the Himalayas "
           "higher. Climbers today stand on a taller summit than Hillary did.")


def brief(text: str, **kw) -> Brief:
    return Brief(words=words_from(spoken(text)), **kw)


def within_limits(titles: list[str]) -> bool:
    return all(limits.title_problem(t) is None for t in titles)


def test_two_transcripts_get_different_titles_drawn_from_what_was_said(settings) -> None:
    coffee = generate(settings, brief(COFFEE, niche="coffee", tone="friendly", duration_s=14))
    everest = generate(settings, brief(EVEREST, niche="geology", tone="bold", duration_s=14))
    assert coffee.backend == everest.backend == "offline"
    for result, words in ((coffee, {"cold", "brew", "coffee"}), (everest, {"everest", "plate"})):
        titles = result.metadata.titles
        assert 3 <= len(titles) <= 5 and within_limits(titles)
        assert len({t.lower() for t in titles}) == len(titles)
        mentioned = [t for t in titles if words & set(limits.clean_text(t).lower().replace(",", "").split())]
        assert len(mentioned) >= 3, titles
    assert not set(coffee.metadata.titles) & set(everest.metadata.titles)
    assert "everest" not in " ".join(coffee.metadata.titles).lower()
    assert "coffee" not in " ".join(everest.metadata.titles).lower()


def test_the_opening_question_leads_and_becomes_the_hook() -> None:
    result = offline_generate(brief(COFFEE))
    assert result.titles[0].startswith("Did you know cold brew coffee has less acid")
    assert result.hook.startswith("Did you know cold brew coffee")
    assert "#ColdBrew" in result.hashtags and "#Shorts" in result.hashtags
    assert "twelve hours" in result.description


def test_tone_and_niche_shape_the_titles() -> None:
    bold = offline_generate(brief(EVEREST, tone="bold"))
    calm = offline_generate(brief(EVEREST, tone="calm", niche="science"))
    assert bold.titles != calm.titles
    assert "#science" in calm.hashtags


def test_a_regeneration_never_repeats_earlier_titles_and_follows_the_hint() -> None:
    first = offline_generate(brief(COFFEE))
    second = offline_generate(brief(COFFEE, generation=2, avoid=tuple(first.titles),
                                    hint="more curious, less hype"))
    assert not {t.lower() for t in first.titles} & {t.lower() for t in second.titles}
    assert any(t.endswith("?") for t in second.titles)
    assert within_limits(second.titles)


def test_a_silent_clip_is_titled_from_its_source() -> None:
    result = offline_generate(Brief(words=(), source_title="Sunset over the harbour", channel="Ana",
                                    niche="travel"))
    assert all("Sunset over the harbour" in t for t in result.titles[:3])
    assert "Ana" in result.description and within_limits(result.titles)


def test_a_camera_file_name_is_not_used_as_a_title() -> None:
    result = offline_generate(brief(COFFEE, source_title="IMG_2031"))
    assert not any("IMG_2031" in t for t in result.titles)


def test_long_speech_and_angle_brackets_still_give_valid_titles() -> None:
    text = "The <best> " + " ".join(f"word{i}" for i in range(60)) + " ever recorded."
    result = offline_generate(brief(text))
    assert within_limits(result.titles)
    assert not any("<" in t or ">" in t for t in result.titles)


def test_the_description_leaves_room_for_the_credit_line() -> None:
    credit = limits.attribution_line({"title": "T", "channel": "C", "url": "https://e.example/v",
                                      "license": "CC BY 3.0"})
    result = offline_generate(brief(" ".join(["Sentence number one is here."] * 200),
                                    attribution=credit))
    full = limits.full_description(result.description, result.hashtags, credit)
    assert len(full.encode()) <= limits.DESCRIPTION_MAX_BYTES
    assert len(full) <= limits.TIKTOK_CAPTION_MAX_CHARS
    assert full.endswith("licensed under CC BY 3.0.")
