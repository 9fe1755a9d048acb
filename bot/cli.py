"""The `ettametta` command line."""

from __future__ import annotations

import argparse
import asyncio
import sys

from core import owner_only
from core.config import ConfigError, Settings, load_settings
from core.jobs import QUEUES


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    owner_only.restrict(settings)
    return int(args.handler(settings, args) or 0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ettametta",
        description="Chat-ops bot for short-form video creators. Configuration comes from the "
        "environment and .env (see README).",
    )
    sub = parser.add_subparsers(metavar="COMMAND")

    run = sub.add_parser("run", help="run everything configured (the console when no bot token is set)")
    run.add_argument("--console", action="store_true", help="open the console front too")
    run.set_defaults(handler=cmd_run)

    worker = sub.add_parser("worker", help="run one worker process")
    worker.add_argument("--queues", default=",".join(QUEUES),
                        help=f"comma-separated queues to consume (default: {','.join(QUEUES)})")
    worker.set_defaults(handler=cmd_worker)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply migrations").set_defaults(handler=cmd_db_upgrade)

    doctor = sub.add_parser("doctor", help="check the machine and configuration, say what to fix")
    doctor.set_defaults(handler=cmd_doctor)

    from bot.render_cli import add_parser as add_render

    add_render(sub)
    return parser


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import serve
    from core.logs import configure

    configure(settings)
    try:
        return asyncio.run(serve(settings, console=args.console))
    except KeyboardInterrupt:
        return 130


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from core.logs import configure

    configure(settings)
    queues = tuple(q.strip() for q in args.queues.split(",") if q.strip())
    unknown = sorted(set(queues) - set(QUEUES))
    if unknown:
        print(f"Unknown queue(s): {', '.join(unknown)}. Known: {', '.join(QUEUES)}.", file=sys.stderr)
        return 2
    if settings.queue_url == "local":
        from workers.local import worker_main

        worker_main(queues)
    else:
        from workers.celery_app import celery_worker_main

        celery_worker_main(settings, queues)
    return 0


def cmd_db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    from core.db import upgrade

    upgrade(settings)
    print("Database is at the latest migration.")
    return 0


def cmd_doctor(settings: Settings, args: argparse.Namespace) -> int:
    from core.doctor import Level, run_checks

    findings = run_checks(settings)
    for finding in findings:
        print(finding.line())
    failures = [f for f in findings if f.level is Level.fail]
    print(f"\n{len(failures)} problem(s) to fix." if failures else "\nAll essential checks passed.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
