"""Reading a transcript the way a person skims it: sentences, key phrases, the strongest line.

Key phrases are scored RAKE-style (runs of content words between stop words, each word
scored by how many co-occurring words it has over how often it appears), which needs no
model and works on a few seconds of speech.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.ai.model import Word
from core.transcript import text_of

SENTENCE_GAP_S = 0.7
MAX_PHRASE_WORDS = 2
CLAUSE_MIN_WORDS = 6  # a run-on sentence splits at a comma once it has this many words

_STOPWORD_TEXT = """
a about above after again against all also am an and any are aren't as at be because been before
being below between both but by can can't cannot could couldn't did didn't do does doesn't doing
don't down during each few for from further get gets got had hadn't has hasn't have haven't having he
her here hers herself him himself his how i i'm i've if in into is isn't it it's its itself just
let's like me more most much my myself no nor not now of off on once only or other our ours
ourselves out over own really right same she should so some such than that that's the their theirs
them themselves then there there's these they they're this those through to too under until up
us very was wasn't we we're were what what's when where which while who why will with won't would
you you're your yours yourself okay ok yeah well oh um uh going gonna want one thing things
something lot make made way today here's let know think see look said say says also even still
every ever never always maybe actually basically literally stuff kind sort without within
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_WORD = re.compile(r"[\w'’-]+", re.UNICODE)
_END = re.compile(r"[.!?…]+[\"')\]]*$")
_BREAK = re.compile(r"[,;:—–]$")


@dataclass(frozen=True)
class Sentence:
    text: str
    start: float
    question: bool
    exclaim: bool


def sentences(words: tuple[Word, ...]) -> list[Sentence]:
    """Sentences from punctuation where the recogniser gave it, else from pauses in speech.

    Recognisers often join sentences with commas; a long run splits at its commas too.
    """
    result: list[Sentence] = []
    current: list[Word] = []
    for index, word in enumerate(words):
        current.append(word)
        following = words[index + 1] if index + 1 < len(words) else None
        gap = following.start - word.end if following else 0.0
        clause_break = len(current) >= CLAUSE_MIN_WORDS and _BREAK.search(word.word.strip())
        if following is None or _END.search(word.word.strip()) or gap >= SENTENCE_GAP_S or clause_break:
            result.append(_sentence(current))
            current = []
    return [s for s in result if s.text]


def _sentence(words: list[Word]) -> Sentence:
    text = text_of(words)
    text = text[:1].upper() + text[1:]
    stripped = text.rstrip().rstrip(",;:—–").rstrip()
    return Sentence(text=stripped, start=words[0].start, question=stripped.endswith("?"),
                    exclaim=stripped.endswith("!"))


def tokens(text: str) -> list[str]:
    return [t.lower().replace("’", "'").strip("'-") for t in _WORD.findall(text)]


def key_phrases(words: tuple[Word, ...], limit: int = 6) -> list[str]:
    """The transcript's most telling phrases (1–2 words), best first, as spoken (lower case)."""
    runs = _candidate_runs(words)
    frequency: dict[str, int] = {}
    degree: dict[str, int] = {}
    for run in runs:
        for token in run:
            frequency[token] = frequency.get(token, 0) + 1
            degree[token] = degree.get(token, 0) + len(run)
    scored: dict[str, tuple[float, int]] = {}
    for position, run in enumerate(runs):
        phrase = " ".join(run)
        score = sum(degree[t] / frequency[t] for t in run) + 0.5 * sum(frequency[t] - 1 for t in run)
        if phrase not in scored or scored[phrase][0] < score:
            scored[phrase] = (score, scored.get(phrase, (0.0, position))[1])
    ranked = sorted(scored, key=lambda p: (-scored[p][0], scored[p][1]))
    chosen: list[str] = []
    for phrase in ranked:
        if any(phrase in other or other in phrase for other in chosen):
            continue
        chosen.append(phrase)
        if len(chosen) == limit:
            break
    return chosen


def _candidate_runs(words: tuple[Word, ...]) -> list[list[str]]:
    runs: list[list[str]] = []
    run: list[str] = []
    for word in words:
        raw = word.word.strip()
        for token in tokens(raw):
            if token in STOPWORDS or token.isdigit() or len(token) < 3:
                _close(runs, run)
                run = []
            else:
                run.append(token)
        if _END.search(raw) or _BREAK.search(raw):
            _close(runs, run)
            run = []
    _close(runs, run)
    return runs


def _close(runs: list[list[str]], run: list[str]) -> None:
    for start in range(0, len(run), MAX_PHRASE_WORDS):
        piece = run[start:start + MAX_PHRASE_WORDS]
        if piece:
            runs.append(piece)


def strongest_line(found: list[Sentence], phrases: list[str], *, within: int = 3) -> Sentence | None:
    """The opening line most worth leading with: early, carrying key phrases, a question or a punch."""
    if not found:
        return None
    important = {token for phrase in phrases[:4] for token in phrase.split()}

    def strength(item: tuple[int, Sentence]) -> float:
        position, sentence = item
        words = tokens(sentence.text)
        coverage = len(important.intersection(words))
        length_fit = 1.0 if 4 <= len(words) <= 16 else 0.4
        return coverage * length_fit + 1.5 * sentence.question + 0.8 * sentence.exclaim - 0.8 * position

    return max(enumerate(found[:within]), key=strength)[1]


def title_case(phrase: str) -> str:
    small = {"a", "an", "and", "as", "at", "but", "by", "for", "in", "of", "on", "or", "the", "to"}
    words = phrase.split()
    return " ".join(
        w if w.isupper() and len(w) > 1 else (w if i and w in small else w[:1].upper() + w[1:])
        for i, w in enumerate(words)
    )
