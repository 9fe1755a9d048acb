"""Discovery commands: the trending chart, search, licence attestation, downloading a candidate."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from core import audit, jobs, quota, scheduler
from core.commands.jobs import origin
from core.commands.registry import CommandError, Invocation, arg, command, flag, option
from core.discovery import cards
from core.discovery.merge import merge
from core.discovery.model import Found
from core.discovery.youtube import SearchSource, TrendingSource, YouTubeError
from core.messages import Choice, Reply
from core.models import Candidate, RightsBasis, Role
from core.services import Services

SHOWN = 10

scheduler.register_system_job("cache:purge", "core.cache:purge_expired_job", trigger="interval", hours=24)
RENDERABLE = {RightsBasis.owned, RightsBasis.creative_commons, RightsBasis.licensed}


def fetch(make: Callable[[], TrendingSource | SearchSource], ref: str) -> list[Found]:
    try:
        [result] = list(make().fetch([ref], {}))
    except (quota.QuotaError, YouTubeError) as exc:
        raise CommandError(str(exc)) from None
    if result.error:
        raise CommandError(result.error)
    return result.videos


def show(inv: Invocation, svc: Services, found: list[Found], heading: str, *,
         cc_only: bool, mine: bool) -> Reply:
    """Merge the finds into candidates (so they have ids) and list the best ones."""
    with svc.db.session() as session:
        merged = [m.candidate for m in merge(session, inv.workspace_id, found)]
        picked = [c for c in merged
                  if (not cc_only or RightsBasis(c.rights_basis) in RENDERABLE)
                  and (not mine or c.rights_basis == RightsBasis.owned)]
        picked.sort(key=lambda c: -c.score)
        lines = [cards.summary_line(c) for c in picked[:SHOWN]]
        choices = [Choice(label=f"Render #{c.id}", command=f"/render {c.id}", emoji="🎬")
                   for c in picked[:SHOWN] if RightsBasis(c.rights_basis) in RENDERABLE][:5]
    if not lines:
        what = "of your connected channels" if mine else "you may render (Creative Commons or yours)"
        return Reply(text=f"{heading}: {len(merged)} videos, none {what}.")
    hint = "" if choices else "\nNone of these may be rendered as they are: /attest records a licence."
    return Reply(text=f"{heading} (best {len(lines)} of {len(picked)}):\n" + "\n".join(lines) + hint,
                 choices=choices)


@command(
    "trending",
    arg("region", "two-letter region code (default US)", required=False),
    option("category", "a YouTube category number, e.g. 20 for gaming", type=int),
    flag("cc-only", "only videos you may render (Creative Commons or your own)"),
    flag("mine", "only videos of your connected channels"),
)
def trending(inv: Invocation, svc: Services) -> Reply:
    """Show what is trending on YouTube now: /trending US category=20 cc-only (cached; 1 unit at most)."""
    region = (inv["region"] or "US").upper()
    if len(region) != 2 or not region.isalpha():
        raise CommandError(f"REGION is a two-letter code such as US, GB or DE, not {inv['region']!r}.")
    ref = f"{region}:{inv['category']}" if inv["category"] else region
    found = fetch(lambda: TrendingSource(svc, inv.workspace_id), ref)
    label = f"Trending in {region}" + (f", category {inv['category']}" if inv["category"] else "")
    return show(inv, svc, found, label, cc_only=inv["cc-only"], mine=inv["mine"])


@command(
    "search",
    arg("query", 'what to look for (quote several words: "cooking hacks")'),
    flag("cc-only", "only videos you may render (Creative Commons or your own)"),
)
def search(inv: Invocation, svc: Services) -> Reply:
    """Search YouTube: costs 1 of the workspace's daily search calls (search_budget) + 1 unit."""
    with svc.db.session() as session:
        before = quota.usage(session, inv.workspace_id, quota.YOUTUBE_SEARCH)
    found = fetch(lambda: SearchSource(svc, inv.workspace_id), inv["query"])
    with svc.db.session() as session:
        after = quota.usage(session, inv.workspace_id, quota.YOUTUBE_SEARCH)
    spent = after.used - before.used
    cost = (f"Cost: {spent} search call; {after.left} of {after.budget} left today."
            if spent else "Cost: nothing (a cached result from the last few minutes).")
    reply = show(inv, svc, found, f"Search {inv['query']!r}", cc_only=inv["cc-only"], mine=False)
    return reply.model_copy(update={"text": f"{reply.text}\n{cost}"})


@command(
    "attest",
    arg("candidate", "the candidate number", type=int, lookup="candidate"),
    arg("granted_by", 'who granted the licence, quoted: "Jane Doe, email of 3 May"'),
    role=Role.editor,
)
def attest(inv: Invocation, svc: Services) -> Reply:
    """Record that you hold a licence for a discovered video, so it may be rendered (audited)."""
    granted_by = inv["granted_by"].strip()
    if len(granted_by) < 3:
        raise CommandError('Say who granted the licence, e.g. /attest 12 "Jane Doe, email of 3 May".')
    with svc.db.session() as session:
        candidate = own_candidate(session, inv, inv["candidate"])
        previous = candidate.rights_basis
        candidate.rights_basis = RightsBasis.licensed
        candidate.data = {**(candidate.data or {}), "attested_by": inv.member_id,
                          "licence_granted_by": granted_by[:300]}
        audit.record(session, "rights.attest", workspace_id=inv.workspace_id, member_id=inv.member_id,
                     subject=f"candidate:{candidate.id}", basis=RightsBasis.licensed,
                     previous=previous, granted_by=granted_by[:300], url=candidate.url)
        title = candidate.title[:80]
    return Reply(text=f"Recorded: you attest a licence for #{inv['candidate']} ({title}) granted by "
                      f"{granted_by}. It may now be rendered.",
                 choices=[Choice(label="Render this", command=f"/render {inv['candidate']}", emoji="🎬")])


@command("download", arg("candidate", "the candidate number", type=int, lookup="candidate"), role=Role.editor)
def download(inv: Invocation, svc: Services) -> Reply:
    """Download a candidate you may use (≤1080p mp4) so it is ready to render."""
    with svc.db.session() as session:
        candidate = own_candidate(session, inv, inv["candidate"])
        if RightsBasis(candidate.rights_basis) not in RENDERABLE:
            raise CommandError(f"Candidate #{candidate.id} is not yours and not Creative Commons, so I "
                               "won't download it. An editor holding a licence can run "
                               f'/attest {candidate.id} "who granted it".')
    job = jobs.start(svc, "download", {"candidate_id": inv["candidate"]}, origin(inv), queue=jobs.IO_QUEUE)
    return jobs.started_reply(job, f"download of candidate #{inv['candidate']}")


def own_candidate(session: Session, inv: Invocation, candidate_id: int) -> Candidate:
    candidate = session.get(Candidate, candidate_id)
    if candidate is None or candidate.workspace_id != inv.workspace_id:
        raise CommandError(f"There is no candidate #{candidate_id} here. /trending or /watch find some.")
    return candidate
