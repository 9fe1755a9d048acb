"""The embedded generator: titles written from the video itself, with no LLM.

It reads the transcript (key phrases, the strongest opening line), the source's title and
channel, and the workspace's niche and tone, so two videos get two different sets of titles.
A regeneration rotates to other framings and never repeats titles already offered.
"""

from __future__ import annotations

import re

from core.ai import limits
from core.ai.model import MAX_TITLES, MIN_TITLES, Brief, Metadata
from core.ai.phrases import Sentence, key_phrases, sentences, strongest_line, title_case

NAME = "offline"
LABEL = "the offline generator"

# Framings per tone; {k} is the top key phrase (title case), {k2} the second, {s} the duration.
TONE_FRAMES: dict[str, tuple[str, ...]] = {
    "friendly": ("{k}, explained in {s} seconds", "Let's talk about {k}", "{k} and {k2}: a quick look",
                 "Everything you wanted to know about {k}"),
    "bold": ("The truth about {k}", "Stop ignoring {k}", "{k} changes everything",
             "{k} vs {k2}: no contest"),
    "calm": ("A quiet look at {k}", "On {k} and {k2}", "Slowing down with {k}",
             "{k}, gently explained"),
    "funny": ("Nobody warned me about {k}", "{k}: a tragedy in {s} seconds", "Me vs {k}",
              "{k} and {k2} walk into a bar"),
    "expert": ("{k}: what most people get wrong", "How {k} really works", "{k} in {s} seconds",
               "The {k} checklist: {k2} first"),
}
QUESTION_FRAMES = ("Why does {k} matter?", "What is {k}, really?", "Is {k} worth it?")
HINT_TONES = {
    "curious": "question", "question": "question", "mystery": "question",
    "funny": "funny", "joke": "funny", "humor": "funny", "humour": "funny",
    "bold": "bold", "hype": "bold", "punchy": "bold", "calm": "calm", "less hype": "calm",
    "quiet": "calm", "expert": "expert", "serious": "expert", "friendly": "friendly",
}
_FILE_STEM = re.compile(r"^(img|vid|mov|dsc|pxl|clip|video|output|render)?[\W_]*\d*[\W_]*$", re.I)


def generate(brief: Brief) -> Metadata:
    found = sentences(brief.words)
    phrases = key_phrases(brief.words)
    opening = strongest_line(found, phrases)
    titles = _pick_titles(_title_pool(brief, found, phrases, opening), brief)
    hashtags = _hashtags(brief, phrases)
    description = _description(brief, found, hashtags)
    hook = opening.text if opening else (titles[0] if titles else "")
    return Metadata.model_validate(
        {"titles": titles, "description": description, "hashtags": hashtags, "hook": hook},
        context=brief.validation_context(),
    )


def _title_pool(brief: Brief, found: list[Sentence], phrases: list[str],
                opening: Sentence | None) -> list[str]:
    english = brief.language.lower().startswith("en")
    source = _real_title(brief.source_title)
    k = title_case(phrases[0]) if phrases else (source or "")
    k2 = title_case(phrases[1]) if len(phrases) > 1 else (title_case(brief.niche) or "the rest")
    seconds = str(round(brief.duration_s)) if brief.duration_s else "60"
    pool: list[str] = []
    if opening:
        pool.append(limits.shorten(opening.text.rstrip(".…"), 90))
    if k and english:
        pool += [f.format(k=k, k2=k2, s=seconds) for f in _frames(brief)]
        if brief.niche and brief.niche.lower() not in k.lower():
            pool.append(f"{k}: {title_case(brief.niche)} in {seconds} seconds")
    for sentence in found[1:4]:
        if sentence is not opening:
            pool.append(limits.shorten(sentence.text.rstrip(".…"), 90))
    if len(phrases) > 1:
        pool.append(" · ".join(title_case(p) for p in phrases[:3]))
    if source:
        pool.append(f"{source} — {k}" if k and k != source else source)
        if brief.channel:
            pool.append(f"{source}, from {brief.channel}")
    pool += _fallbacks(brief, source)
    return pool


def _frames(brief: Brief) -> tuple[str, ...]:
    tone = brief.tone if brief.tone in TONE_FRAMES else "friendly"
    hint = brief.hint.lower()
    for word, hinted in HINT_TONES.items():
        if word in hint:
            tone = hinted
            break
    if tone == "question":
        return QUESTION_FRAMES + TONE_FRAMES["friendly"][:2]
    return TONE_FRAMES[tone] + QUESTION_FRAMES[:1]


def _fallbacks(brief: Brief, source: str) -> list[str]:
    """Titles for a clip with no speech: from the source, the niche, the duration."""
    subject = source or title_case(brief.niche) or "This moment"
    return [f"{subject} in one short", f"Watch this: {subject}", f"{subject}, up close",
            f"{subject} (short cut)", f"{subject}: the highlight"]


def _pick_titles(pool: list[str], brief: Brief) -> list[str]:
    avoid = {t.lower() for t in brief.avoid}
    usable: list[str] = []
    for candidate in pool:
        title = limits.shorten(limits.clean_text(candidate.replace("<", "‹").replace(">", "›")),
                               limits.TITLE_MAX_CHARS)
        if limits.title_problem(title) or title.lower() in avoid:
            continue
        if title.lower() not in {u.lower() for u in usable}:
            usable.append(title)
    shift = (brief.generation - 1) * 2 % max(1, len(usable)) if brief.generation > 1 else 0
    rotated = usable[shift:] + usable[:shift]
    chosen = rotated[:MAX_TITLES]
    while len(chosen) < MIN_TITLES:
        chosen.append(f"{chosen[0] if chosen else 'New short'} (take {len(chosen) + 1})")
    return chosen


def _hashtags(brief: Brief, phrases: list[str]) -> list[str]:
    tags = ["#Shorts"] if "youtube" in brief.platforms else []
    tags += phrases[:4]
    tags += [brief.niche] if brief.niche else []
    return limits.normalize_hashtags(tags)


def _description(brief: Brief, found: list[Sentence], hashtags: list[str]) -> str:
    parts: list[str] = []
    if found:
        spoken = " ".join(s.text if s.text[-1:] in ".!?…" else s.text + "." for s in found[:3])
        parts.append(limits.shorten(spoken, 400))
    source = _real_title(brief.source_title)
    if source and brief.channel:
        parts.append(f"A short cut from “{source}” by {brief.channel}.")
    elif source:
        parts.append(f"A short cut from “{source}”.")
    if brief.niche:
        parts.append(f"More {brief.niche} shorts on this channel.")
    text = " ".join(parts) or "A new short."
    while limits.description_problem(text, hashtags, brief.attribution,
                                     tiktok="tiktok" in brief.platforms) and len(text) > 40:
        text = limits.shorten(text, len(text) // 2)
    return text


def _real_title(title: str) -> str:
    """The source's title unless it is only a camera file name such as IMG_1234."""
    title = limits.clean_text(title)
    if not title or _FILE_STEM.match(title):
        return ""
    if title.islower() and " " not in title:
        title = " ".join(title.replace("_", " ").replace("-", " ").split()).capitalize()
    return title
