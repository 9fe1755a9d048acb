"""Analytics commands: stats, retention, top shorts, the weekly digest, and reading metrics now."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, jobs, scheduler
from core.analytics import report
from core.analytics.digest import WEEKDAYS, parse_weekday, weekly
from core.analytics.history import PERIODS, PUBLISHED, NotEnoughData, live
from core.analytics.schedule import CHECK_EVERY_MINUTES, DIGEST
from core.commands.jobs import origin
from core.commands.registry import CommandError, Invocation, arg, command
from core.messages import Reply
from core.models import Account, Publication, Role, Subscription, utcnow
from core.services import Services

PERIOD_CHOICES = tuple(PERIODS)
DEFAULT_PERIOD = "7d"
TOP_DEFAULT, TOP_MAX = 5, 10
DIGEST_WEEKDAY, DIGEST_HOUR = 0, 9

# Every few minutes the scheduler enqueues whatever is due; slots make repeated checks free.
scheduler.register_system_job("analytics:collect", "core.analytics.schedule:collect_due",
                              trigger="interval", minutes=CHECK_EVERY_MINUTES)
scheduler.register_system_job("analytics:digests", "core.analytics.schedule:digests_due",
                              trigger="interval", minutes=CHECK_EVERY_MINUTES)


@command(
    "stats",
    arg("publication", "a publication number (none: every short together), or a period",
        required=False, lookup="publication"),
    arg("period", "7d, 28d or 90d (7d if not given)", required=False),
)
def stats(inv: Invocation, svc: Services) -> Reply:
    """Views over time with a chart: one short (/stats 12 28d) or all of them (/stats 7d)."""
    target, period = _target_and_period(inv["publication"], inv["period"])
    with svc.db.session() as session:
        try:
            if target is None:
                made = report.workspace_stats(session, inv.workspace_id, PERIODS[period])
            else:
                publication = _publication(session, inv, target)
                made = report.publication_stats(session, publication, PERIODS[period])
        except NotEnoughData as exc:
            return Reply(text=str(exc))
    return report.to_reply(svc.settings, made, subject=f"stats:{target or 'all'}")


@command("retention", arg("publication", "the publication number", type=int, lookup="publication"))
def retention(inv: Invocation, svc: Services) -> Reply:
    """Where viewers stop watching a YouTube short, compared with similar videos."""
    with svc.db.session() as session:
        publication = _publication(session, inv, inv["publication"])
        try:
            made = report.retention(session, publication)
        except NotEnoughData as exc:
            return Reply(text=str(exc))
    return report.to_reply(svc.settings, made, subject=f"retention:{publication.id}")


@command(
    "top",
    arg("count", f"how many shorts (1–{TOP_MAX}, {TOP_DEFAULT} if not given), or a period",
        required=False),
    arg("period", "7d, 28d or 90d (7d if not given)", required=False),
)
def top(inv: Invocation, svc: Services) -> Reply:
    """The shorts that gained the most views: /top 5 28d."""
    count_text, period = _target_and_period(inv["count"], inv["period"])
    count = TOP_DEFAULT if count_text is None else int(count_text)
    if not 1 <= count <= TOP_MAX:
        raise CommandError(f"/top shows 1 to {TOP_MAX} shorts, not {count}.")
    with svc.db.session() as session:
        try:
            made = report.top(session, inv.workspace_id, count, PERIODS[period])
        except NotEnoughData as exc:
            return Reply(text=str(exc))
    return report.to_reply(svc.settings, made, subject="top")


@command(
    "digest",
    arg("action", "on, off, or now (this week's digest at once)", required=False,
        choices=("on", "off", "now")),
    arg("weekday", "the day it is posted (mon … sun; Monday if not given)", required=False),
    arg("hour", "the hour it is posted, 0–23 in the workspace's time zone (9 if not given)", type=int,
        required=False),
)
def digest(inv: Invocation, svc: Services) -> Reply:
    """A weekly digest posted in this chat: /digest on fri 17, /digest off, /digest now."""
    action = inv["action"]
    if action is None:
        return _digest_status(inv, svc)
    if action == "now":
        with svc.db.session() as session:
            try:
                made = weekly(session, inv.workspace_id, utcnow())
            except NotEnoughData as exc:
                return Reply(text=str(exc))
        return report.to_reply(svc.settings, made, subject="digest")
    if inv.role < Role.editor:
        raise CommandError("Only editors and owners can switch the digest on or off.")
    if action == "off":
        return _digest_off(inv, svc)
    try:
        weekday = DIGEST_WEEKDAY if inv["weekday"] is None else parse_weekday(inv["weekday"])
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    hour = DIGEST_HOUR if inv["hour"] is None else inv["hour"]
    if not 0 <= hour <= 23:
        raise CommandError(f"The hour is 0 to 23, not {hour}.")
    with svc.db.session() as session:
        subscription = _subscription(session, inv)
        if subscription is None:
            subscription = Subscription(workspace_id=inv.workspace_id, kind=DIGEST, reply_front=inv.front,
                                        reply_chat=inv.chat_ref, created_by=inv.member_id)
            session.add(subscription)
        subscription.spec = {"weekday": weekday, "hour": hour}
        subscription.enabled = True
        audit.record(session, "digest.on", workspace_id=inv.workspace_id, member_id=inv.member_id,
                     subject=f"{inv.front}:{inv.chat_ref}", weekday=weekday, hour=hour)
    return Reply(text=f"The weekly digest will be posted here every {WEEKDAYS[weekday].capitalize()} "
                      f"at {hour:02d}:00 (workspace time zone; /settings timezone changes it). "
                      "/digest now shows this week's at once.")


@command("collect", role=Role.editor)
def collect(inv: Invocation, svc: Services) -> Reply:
    """Read the latest metrics now for every connected account with published shorts."""
    with svc.db.session() as session:
        accounts = session.scalars(
            select(Account).where(Account.workspace_id == inv.workspace_id).order_by(Account.id)
        ).all()
        published = set(session.scalars(
            select(Publication.account_id).where(Publication.workspace_id == inv.workspace_id, live())
        ))
    wanted = [a for a in accounts if a.id in published]
    if not wanted:
        return Reply(text="No connected account has published shorts yet, so there is nothing to read.")
    lines = []
    for account in wanted:
        if not account.healthy:
            lines.append(f"Skipped {account.platform} “{account.name}”: it needs reconnecting "
                         f"(/connect {account.platform}).")
            continue
        job = jobs.start(svc, "collect", {"account_id": account.id}, origin(inv), queue=jobs.IO_QUEUE)
        lines.append(f"Started job #{job.id}: reading {account.platform} “{account.name}”.")
    return Reply(text="\n".join(lines))


def _target_and_period(first: str | None, period: str | None) -> tuple[str | None, str]:
    """`/stats 28d` means the period, not a publication called 28d."""
    if first is not None and first.lower() in PERIODS and period is None:
        first, period = None, first
    period = (period or DEFAULT_PERIOD).lower()
    if period not in PERIODS:
        raise CommandError(f"The period is one of {', '.join(PERIOD_CHOICES)}, not {period!r}.")
    if first is not None and not first.lstrip("#").isdigit():
        raise CommandError(f"{first!r} is not a number: give a publication number or a period "
                           "(7d, 28d, 90d).")
    return (first.lstrip("#") if first is not None else None), period


def _publication(session: Session, inv: Invocation, number: object) -> Publication:
    publication = session.get(Publication, int(str(number)))
    if publication is None or publication.workspace_id != inv.workspace_id:
        raise CommandError(f"There is no publication #{number} here.")
    if publication.remote_id is None or publication.state != PUBLISHED:
        raise CommandError(f"Publication #{publication.id} isn't public yet ({publication.state}), "
                           "so it has no metrics.")
    return publication


def _subscription(session: Session, inv: Invocation) -> Subscription | None:
    return session.scalar(select(Subscription).where(
        Subscription.workspace_id == inv.workspace_id, Subscription.kind == DIGEST,
        Subscription.reply_front == inv.front, Subscription.reply_chat == inv.chat_ref))


def _digest_off(inv: Invocation, svc: Services) -> Reply:
    with svc.db.session() as session:
        subscription = _subscription(session, inv)
        if subscription is None or not subscription.enabled:
            return Reply(text="The weekly digest is not on in this chat.")
        subscription.enabled = False
        audit.record(session, "digest.off", workspace_id=inv.workspace_id, member_id=inv.member_id,
                     subject=f"{inv.front}:{inv.chat_ref}")
    return Reply(text="The weekly digest is off for this chat. /digest on brings it back.")


def _digest_status(inv: Invocation, svc: Services) -> Reply:
    with svc.db.session() as session:
        subscription = _subscription(session, inv)
    if subscription is None or not subscription.enabled:
        return Reply(text="The weekly digest is off in this chat. /digest on mon 9 posts it every Monday "
                          "at 09:00.")
    spec = subscription.spec or {}
    day = WEEKDAYS[int(spec.get("weekday", DIGEST_WEEKDAY))].capitalize()
    hour = int(spec.get("hour", DIGEST_HOUR))
    return Reply(text=f"The weekly digest is posted here every {day} at {hour:02d}:00. /digest off stops it.")
