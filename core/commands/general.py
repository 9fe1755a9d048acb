"""Commands about the bot itself: help and status."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from core import jobs, outbox
from core.ai import describe_plan
from core.commands.registry import (
    CommandError,
    Invocation,
    ParamKind,
    all_commands,
    arg,
    command,
    get_command,
)
from core.media import encoders
from core.messages import Reply
from core.models import Lease, utcnow
from core.services import Services

FAILED_DELIVERIES_PERIOD = timedelta(days=7)


@command("help", arg("command", "a command to explain in full", required=False))
def help_(inv: Invocation, svc: Services) -> Reply:
    """List the commands, or explain one: /help render."""
    name = inv["command"]
    if name:
        found = get_command(name.lstrip("/"))
        if found is None:
            raise CommandError(f"There is no /{name.lstrip('/')} command. /help lists them all.")
        lines = [f"{found.usage()}", found.help]
        if found.details:
            lines.append(found.details)
        for param in found.params:
            what = {ParamKind.flag: "flag", ParamKind.option: "option"}.get(param.kind, "")
            suffix = f" ({what})" if what else ""
            lines.append(f"  {param.name}{suffix}: {param.help}")
        lines.append(f"Who may run it: {found.min_role.name}s and above.")
        return Reply(text="\n".join(lines))
    lines = ["Commands (/help NAME explains one):"]
    for cmd in all_commands():
        lines.append(f"  {cmd.usage()} — {cmd.help}")
    return Reply(text="\n".join(lines))


@command("status")
def status(inv: Invocation, svc: Services) -> Reply:
    """Show workers, queue depth, scheduler, database, backends and failed deliveries."""
    with svc.db.session() as session:
        depth = jobs.queue_depth(session)
        live = session.scalars(select(Lease).where(Lease.expires_at > utcnow())).all()
        undelivered = outbox.failures_since(session, utcnow() - FAILED_DELIVERIES_PERIOD)
        details = outbox.failure_details(session, utcnow() - FAILED_DELIVERIES_PERIOD, inv.workspace_id)
    workers = [lease for lease in live if lease.name.startswith("worker:")]
    queues = sorted({q for lease in workers for q in lease.holder.split(",") if q})
    scheduler = next((lease for lease in live if lease.name == "scheduler"), None)
    lines = [
        f"Database: {svc.db.engine.dialect.name}, migrated" if svc.db.is_migrated()
        else "Database: NOT migrated — run `ettametta db upgrade`",
        f"Queue: {svc.dispatcher.name}; {depth.get('queued', 0)} waiting, "
        f"{depth.get('running', 0)} running",
        f"Workers: {len(workers)} listening" + (f" on {', '.join(queues)}" if queues else ""),
        f"Scheduler: running in {scheduler.holder}" if scheduler else "Scheduler: not running",
        f"Encoder: {encoders.select(svc.settings).reason}",
        f"LLM: {describe_plan(svc.settings)}",
        _failed_deliveries(undelivered),
        *(f"  In this workspace, {n} {'time' if n == 1 else 'times'}: {said}" for _, said, n in details),
    ]
    return Reply(text="\n".join(lines))


def _failed_deliveries(counts: Counter[outbox.Undeliverable]) -> str:
    days = FAILED_DELIVERIES_PERIOD.days
    if not counts:
        return f"Deliveries: none failed for good in the last {days} days"
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0].phrase))
    why = "; ".join(f"{n} because {reason.phrase}" for reason, n in ranked)
    total = sum(counts.values())
    return f"Deliveries: {total} failed for good in the last {days} days — {why}"
