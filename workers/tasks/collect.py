"""Analytics jobs: `collect` reads one account's metrics; `digest` posts one chat's weekly digest."""

from __future__ import annotations

from datetime import datetime

from core.analytics.collect import collect_account
from core.analytics.digest import weekly
from core.analytics.history import NotEnoughData
from core.analytics.report import to_reply
from core.jobs import DEFAULT_QUEUE, IO_QUEUE
from core.messages import Reply
from core.models import Subscription
from workers.context import JobContext
from workers.tasks import task


@task("collect", queue=IO_QUEUE, time_limit_s=900)
def run_collect(ctx: JobContext) -> Reply:
    account_id = int(ctx.payload["account_id"])
    ctx.progress(5, "asking the platform for the latest numbers")
    outcome = collect_account(ctx.services, account_id, slot=f"job:{ctx.job_id}", progress=ctx.progress)
    ctx.progress(100, "readings stored")
    return Reply(text=outcome.summary(), subject=f"collect:{account_id}")


@task("digest", queue=DEFAULT_QUEUE, time_limit_s=300)
def run_digest(ctx: JobContext) -> Reply | None:
    """The reply goes out with the job's completion, so a re-run after a crash posts it once."""
    week_end = datetime.fromisoformat(ctx.payload["week_end"])
    with ctx.services.db.session() as session:
        subscription = session.get(Subscription, int(ctx.payload["subscription_id"]))
        if subscription is None or not subscription.enabled:
            return None
        try:
            report = weekly(session, subscription.workspace_id, week_end)
        except NotEnoughData as exc:
            reply = Reply(text=f"Weekly digest: {exc}", subject="digest")
        else:
            reply = to_reply(ctx.services.settings, report, subject="digest")
        subscription.last_sent_at = week_end
    return reply
