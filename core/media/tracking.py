"""Who is on screen and whom to show: face samples joined into tracks, then the subject chosen.

A *track* is one face followed from sample to sample inside one shot (a scene cut ends every
track). The *subject* at a moment is the person speaking — while speech is heard, the face
whose mouth moves clearly more than the others' — else the most prominent face (largest,
and present longest in its shot). A subject is held at least `HOLD_S` before the frame may
cut to another, so two people talking over each other do not make the picture ping-pong.
With `split`, the layout is chosen the same way: two people stacked while two faces are both
in shot and too far apart for one 9:16 frame to hold them.

All times are seconds on the output's timeline; positions are fractions of the source frame.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from core.media.analysis import Analysis, Sample
from core.media.faces import Face

HOLD_S = 1.5  # a subject or layout stays at least this long
SETTLE_S = 0.5  # a new choice must win this long before the frame cuts to it
MAX_GAP_S = 0.8  # a face missed for up to this long is still the same track
MIN_TRACK_S = 0.7  # shorter tracks are taken for detector noise unless nothing else is there
SPEECH_PAD_S = 0.25
SPEAKING_WINDOW_S = 1.0  # mouth movement is averaged over ±this around each moment
SPEAKING_MIN = 0.04  # mean mouth movement that counts as talking
SPEAKING_RATIO = 1.5  # …and how much more than the next face's
SPLIT_SIZE_RATIO = 0.35  # the smaller face's area ÷ the larger's, for both to count as "in shot"


@dataclass
class Track:
    """One face through consecutive samples of one shot."""

    id: int
    times: list[float] = field(default_factory=list)
    faces: list[Face] = field(default_factory=list)

    @property
    def start(self) -> float:
        return self.times[0]

    @property
    def end(self) -> float:
        return self.times[-1]

    @property
    def duration(self) -> float:
        return self.end - self.start

    def at(self, t: float) -> Face | None:
        """The face at time t: its nearest sample, if the track is alive then."""
        if not self.times or t < self.start - MAX_GAP_S / 2 or t > self.end + MAX_GAP_S / 2:
            return None
        after = bisect.bisect_left(self.times, t)
        index = min((i for i in (after - 1, after) if 0 <= i < len(self.times)),
                    key=lambda i: abs(self.times[i] - t))
        return self.faces[index] if abs(self.times[index] - t) <= MAX_GAP_S else None

    def around(self, t: float, reach: float) -> list[tuple[float, Face]]:
        """The samples within `reach` seconds of t."""
        first, last = bisect.bisect_left(self.times, t - reach), bisect.bisect_right(self.times, t + reach)
        return list(zip(self.times[first:last], self.faces[first:last], strict=True))


@dataclass(frozen=True)
class Segment:
    """From `start` to `end` the frame shows `subjects`: () nobody, (id,) one, (top, bottom) split."""

    start: float
    end: float
    subjects: tuple[int, ...]
    speaking: bool = False

    @property
    def split(self) -> bool:
        return len(self.subjects) == 2


def shots(analysis: Analysis) -> list[tuple[float, float]]:
    """The shots of the window: [start, end) between scene cuts."""
    edges = [analysis.start, *analysis.cuts, analysis.end]
    return [(a, b) for a, b in zip(edges, edges[1:], strict=False) if b > a]


def build_tracks(analysis: Analysis) -> list[Track]:
    """Join each sample's faces to the tracks of the previous samples (nearest centre, within
    about a face width per sample apart), starting afresh at every scene cut."""
    tracks: list[Track] = []
    for start, end in shots(analysis):
        live: list[Track] = []
        for sample in (s for s in analysis.samples if start <= s.t < end):
            live = [t for t in live if sample.t - t.end <= MAX_GAP_S]
            for face in sorted(sample.faces, key=lambda f: -f.score):
                match = _nearest(live, face, sample.t)
                if match is None:
                    match = Track(len(tracks))
                    tracks.append(match)
                    live.append(match)
                match.times.append(sample.t)
                match.faces.append(face)
    return tracks


def _nearest(live: list[Track], face: Face, t: float) -> Track | None:
    best, best_distance = None, float("inf")
    for track in live:
        if track.times[-1] == t:
            continue  # already has a face in this sample
        last = track.faces[-1]
        steps = max(1.0, (t - track.end) * 4)
        distance = float(np.hypot(face.cx - last.cx, face.cy - last.cy))
        if distance <= 0.9 * max(face.w, last.w) * steps and distance < best_distance:
            best, best_distance = track, distance
    return best


def speech_spans(words: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Times while speech is heard: the words' spans, padded and merged across short pauses."""
    spans: list[tuple[float, float]] = []
    for start, end in sorted(words):
        start, end = start - SPEECH_PAD_S, end + SPEECH_PAD_S
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


def plan(analysis: Analysis, tracks: list[Track], speech: list[tuple[float, float]], *,
         split_apart: float | None = None) -> list[Segment]:
    """Who the frame shows when: one segment per stretch, a cut between segments.

    `split_apart` (fraction of the frame width) turns on the stacked layout for two faces whose
    centres are at least that far apart; None keeps one subject throughout."""
    segments: list[Segment] = []
    for start, end in shots(analysis):
        moments = [s for s in analysis.samples if start <= s.t < end]
        in_shot = [t for t in tracks if start <= t.start < end]
        prominence = {t.id: _prominence(t, end - start) for t in in_shot}
        choices = [_choose(sample.t, in_shot, prominence, speech, split_apart) for sample in moments]
        segments += _held(start, end, choices)
    return segments


@dataclass(frozen=True)
class _Choice:
    t: float
    subjects: tuple[int, ...]
    speaking: bool
    present: frozenset[int]


def _choose(t: float, tracks: list[Track], prominence: dict[int, float], speech: list[tuple[float, float]],
            split_apart: float | None) -> _Choice:
    present = [(track, face) for track in tracks if (face := track.at(t)) is not None]
    ids = frozenset(track.id for track, _ in present)
    present = [(track, face) for track, face in present if track.duration >= MIN_TRACK_S] or present
    if not present:
        return _Choice(t, (), False, ids)
    ranked = sorted(present, key=lambda item: -prominence[item[0].id])
    if split_apart is not None and len(ranked) >= 2:
        (a, fa), (b, fb) = ranked[:2]
        both = min(fa.area, fb.area) >= SPLIT_SIZE_RATIO * max(fa.area, fb.area)
        if both and abs(fa.cx - fb.cx) >= split_apart:
            left, right = sorted([(fa.cx, a.id), (fb.cx, b.id)])
            return _Choice(t, (left[1], right[1]), False, ids)
    speaker = _speaker(t, [track for track, _ in ranked], speech)
    if speaker is not None:
        return _Choice(t, (speaker,), True, ids)
    return _Choice(t, (ranked[0][0].id,), False, ids)


def _prominence(track: Track, shot: float) -> float:
    """Larger and longer on screen: mean face area times the share of the shot it is present."""
    return float(np.mean([f.area for f in track.faces])) * min(1.0, (track.duration + 0.25) / max(shot, 1e-3))


def _speaker(t: float, tracks: list[Track], speech: list[tuple[float, float]]) -> int | None:
    """The track whose mouth moves clearly most while speech is heard around t, if any."""
    if len(tracks) < 2 or not _heard(t, speech):
        return None
    scores = []
    for track in tracks:
        moving = [face.mouth for time, face in track.around(t, SPEAKING_WINDOW_S)
                  if face.mouth is not None and _heard(time, speech)]
        scores.append((float(np.mean(moving)) if moving else 0.0, track.id))
    scores.sort(reverse=True)
    (best, best_id), (second, _) = scores[0], scores[1]
    if best >= SPEAKING_MIN and best >= SPEAKING_RATIO * second:
        return best_id
    return None


def _heard(t: float, speech: list[tuple[float, float]]) -> bool:
    return any(start <= t <= end for start, end in speech)


def _held(start: float, end: float, choices: list[_Choice]) -> list[Segment]:
    """Segments of the shot from per-sample choices: a choice is held ≥ HOLD_S, and a new one is
    taken after it has won for SETTLE_S — at once when the person shown has left the picture."""
    if not choices:
        return [Segment(start, end, ())]
    current, speaking, since = choices[0].subjects, choices[0].speaking, start
    challenger: tuple[int, ...] | None = None
    challenged_at = start
    segments = []
    for choice in choices:
        if choice.subjects == current:
            challenger, speaking = None, speaking or choice.speaking
            continue
        if choice.subjects != challenger:
            challenger, challenged_at = choice.subjects, choice.t
        gone = not current or not set(current) <= choice.present
        if gone or (choice.t - since >= HOLD_S and choice.t - challenged_at >= SETTLE_S):
            at = choice.t if gone else max(since + HOLD_S, challenged_at)
            segments.append(Segment(since, at, current, speaking))
            current, speaking, since, challenger = choice.subjects, choice.speaking, at, None
    segments.append(Segment(since, end, current, speaking))
    return [s for s in segments if s.end > s.start]


def people(samples: Sequence[Sample]) -> int:
    """How many people the window shows: the most faces seen at once in at least 3 samples."""
    counts = sorted((len(s.faces) for s in samples), reverse=True)
    return counts[2] if len(counts) >= 3 else (counts[-1] if counts else 0)
