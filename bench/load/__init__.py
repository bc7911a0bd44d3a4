"""The load harness: the portal under a scripted mixed workload on loopback — gunicorn,
PostgreSQL, Redis and a Celery worker, each a throwaway process of the harness — and the
same workload through faults (PostgreSQL restarted, Redis restarted, the worker killed).

- ``services``: the throwaway PostgreSQL and Redis, gunicorn, the worker, memory from /proc;
- ``stack``: all of them started together, the database migrated and seeded, the faults,
  and the beat's sweeps on a short run's time scale (``Beat``);
- ``steps``: seed, sweep and verify, run in a child process on the harness's database;
- ``client`` and ``workload``: the users (threads with their sessions or tokens);
- ``stats``: throughput, percentiles, memory bound; ``scenario``: the two runs and the report.

``bench/bench_load.py`` puts the load's figures in ``make bench``;
``tests/integration/test_load_faults.py`` runs the short form with the faults in CI;
``python -m bench.load --help`` runs either alone.
"""
