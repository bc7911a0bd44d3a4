"""``python -m bench.load``: the load run alone (``--seconds``), or with the faults (``--faults``)."""

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--seconds", type=float, default=60, help="measured seconds of load (default 60)")
    parser.add_argument(
        "--faults", action="store_true", help="PostgreSQL, Redis and worker faults under load"
    )
    parser.add_argument(
        "--baseline", type=float, default=15, help="with --faults: seconds before the first fault"
    )
    parser.add_argument(
        "--after", type=float, default=6, help="with --faults: seconds of load after each fault"
    )
    parser.add_argument("--down", type=float, default=3, help="with --faults: seconds a service stays down")
    parser.add_argument("--drafts", type=int, help="ready drafts to submit (default: enough for the run)")
    parser.add_argument("--web-workers", type=int, help="gunicorn sync workers (default 2 × cores + 1)")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from bench.load.scenario import report, run_faults, run_load
    from bench.load.stack import WEB_WORKERS, Stack
    from bench.load.steps import Plan
    from bench.load.workload import Shape

    # The leader submits one draft a second (the drafts last the run); experts have 30 each.
    shape = Shape(leaders=1, submit_interval=1.0)
    if args.faults:
        plan = Plan(drafts=args.drafts or 60, assignments=30, notice_calls=8, awards=3)
    else:
        plan = Plan(drafts=args.drafts or int(args.seconds + 30), assignments=30, notice_calls=8, awards=4)
    with Stack(plan, web_workers=args.web_workers or WEB_WORKERS) as stack:
        if args.faults:
            result = run_faults(stack, baseline=args.baseline, after=args.after, down=args.down, shape=shape)
        else:
            result = run_load(stack, seconds=args.seconds, shape=shape)
        report(result)
    return 0 if result.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
