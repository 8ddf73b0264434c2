"""Benchmark: the report dashboards over 1,000,000 tickets, on SQLite and on PostgreSQL.

Target (issue 8, §7): each dashboard renders in under 2 s with 1,000,000 tickets, on both
databases. The data (bench/reports_data.py) is three years of a service desk of five
institutions, inserted in bulk: tickets Zipf-like over ~200 services with SLA clocks and
breaches, interruptions, changes with downtime, escalation events, ~5,000 articles with
revisions, links, views and feedback, the search log, deflections and assistant sessions.

For each database and each dashboard in ``zina.reports.dashboards.DASHBOARDS``, as the user
whose role it is for (a portfolio owner, an owner of three services, an owner of five
resources, a support lead, a knowledge manager — all of the biggest institution) and, for
the portfolio, also as a superuser (``portfolio_superuser``), over the current month (the
default period) and over the last 365 days (a custom period):

- ``metrics``: every registered metric of the dashboard computed through a fresh
  ``ReportContext`` (what the view does before rendering), with each metric timed too;
- ``page``: the whole HTTP page, ``GET /reports/<key>/?period=month`` (and the custom year)
  through ``django.test.Client`` logged in as that user — when the reports URLs exist.

Each is repeated BENCH_REPORTS_REPEAT times (default 5; fewer when a pass takes longer than
BENCH_REPORTS_BUDGET seconds, default 60); p50 and max in milliseconds. Django runs with
DEBUG off, as served.

Baseline, side by side in the same run on the same data: the same dashboards without the
report indexes (every ``Meta.indexes`` entry whose name starts with ``rpt_``): they are
dropped, the dashboards measured, the indexes built (timed) and the dashboards measured
again. Without them a dashboard takes tens of seconds on SQLite, so the baseline is measured
BENCH_REPORTS_BASELINE_REPEAT times (default 1), over the default period only unless
BENCH_REPORTS_BASELINE_YEAR=1, through the page when it exists. SQLite runs as the
application runs it: no ANALYZE (Django never runs it), so its planner has no statistics;
PostgreSQL is analysed after the load, as autovacuum would. BENCH_REPORTS_EXPLAIN=N
(default 8) runs every statement of the first pass again, fetching all rows, and prints the
plans (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL) of the N slowest, to
stderr and to explain.txt in the work directory. ``metrics_cpu_*`` in the JSON is this
process's CPU time: on SQLite all of the database's work, and steadier than the wall clock
on a busy machine.

Run: make bench-reports. BENCH_REPORTS_TICKETS (default 1000000) sets the size;
BENCH_REPORTS_DB=sqlite|postgresql|both (default both; PostgreSQL runs under
scripts/with-postgres, a throwaway cluster, so its data is generated on every run);
BENCH_REPORTS_DIR=<dir> keeps the work directory and reuses its SQLite database when the
size matches (otherwise a temporary directory is removed at the end unless BENCH_KEEP=1);
BENCH_REPORTS_PARALLEL=1 measures the two databases at the same time (faster, noisier);
BENCH_REPORTS_MEASURE=0 only generates. Prints progress to stderr, a table, then one JSON
line of figures.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

TICKETS = int(os.environ.get("BENCH_REPORTS_TICKETS", "1000000"))
REPEAT = int(os.environ.get("BENCH_REPORTS_REPEAT", "5"))
BUDGET_S = float(os.environ.get("BENCH_REPORTS_BUDGET", "60"))
EXPLAIN = int(os.environ.get("BENCH_REPORTS_EXPLAIN", "8"))
BASELINE_REPEAT = int(os.environ.get("BENCH_REPORTS_BASELINE_REPEAT", "1"))
BASELINE_YEAR = os.environ.get("BENCH_REPORTS_BASELINE_YEAR", "") not in ("", "0")
PARALLEL = os.environ.get("BENCH_REPORTS_PARALLEL", "") not in ("", "0")
TARGET_MS = 2000
GENERATOR_VERSION = 2  # bump when reports_data.py changes what it writes
INDEX_PREFIX = "rpt_"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}] {message}", file=sys.stderr, flush=True)


def p50(values: list[float]) -> float | None:
    return round(statistics.median(values) * 1000, 1) if values else None


def pmax(values: list[float]) -> float | None:
    return round(max(values) * 1000, 1) if values else None


def repeat(fn: Callable[[], float], times: int = REPEAT) -> list[float]:
    """Run ``fn`` (which returns its own duration) up to ``times`` times within BUDGET_S."""
    out: list[float] = []
    t0 = time.perf_counter()
    while len(out) < times:
        out.append(fn())
        if time.perf_counter() - t0 > BUDGET_S:
            break
    return out


# -- in the child process (one database) --------------------------------------------------------


def report_indexes() -> list[tuple[Any, Any]]:
    """(model, index) for every report index declared in a model's Meta."""
    from django.apps import apps

    return [
        (model, index)
        for model in apps.get_models()
        for index in model._meta.indexes
        if index.name.startswith(INDEX_PREFIX)
    ]


def existing_indexes(model: Any) -> set[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, model._meta.db_table))


def drop_report_indexes() -> list[str]:
    from django.db import connection

    dropped = []
    with connection.schema_editor() as editor:
        for model, index in report_indexes():
            if index.name in existing_indexes(model):
                editor.remove_index(model, index)
                dropped.append(index.name)
    return dropped


def build_report_indexes() -> float:
    from django.db import connection

    t0 = time.perf_counter()
    with connection.schema_editor() as editor:
        for model, index in report_indexes():
            if index.name not in existing_indexes(model):
                editor.add_index(model, index)
    return time.perf_counter() - t0


class QueryLog:
    """Every SQL statement run inside ``with log:``, with its parameters and duration."""

    def __init__(self, label: str = "") -> None:
        self.label = label
        self.queries: list[tuple[float, str, Any, str]] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((time.perf_counter() - t0, sql, params, self.label))

    def __enter__(self) -> QueryLog:
        from django.db import connection

        self._cm = connection.execute_wrapper(self)
        self._cm.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._cm.__exit__(*exc)


class DashboardRun:
    """One dashboard for one viewer over one period: ``compute()`` computes every metric as
    the view does (fresh user and context) and returns the wall time; keeps per-metric times,
    CPU times, errors, and the statements of the first pass when asked."""

    def __init__(self, dashboard: Any, username: str, keys: list[str], period: Any, label: str):
        self.dashboard, self.username, self.keys, self.period = dashboard, username, keys, period
        self.label = label
        self.timings: dict[str, list[float]] = {k: [] for k in keys}
        self.cpu: list[float] = []  # this process's CPU time: all of SQLite's work
        self.errors: dict[str, str] = {}
        self.queries = QueryLog(label)

    def compute(self, capture: bool) -> float:
        from zina.accounts.models import User
        from zina.reports.context import ReportContext, get_metric

        t0, c0 = time.perf_counter(), time.process_time()
        user = User.objects.get(username=self.username)  # fresh: no cached grants
        ctx = ReportContext(
            user=user,
            dashboard=self.dashboard.key,
            scope=self.dashboard.scope(user),
            period=self.period,
        )
        first = capture and not self.cpu
        for k in self.keys:
            t1 = time.perf_counter()
            try:
                if first:
                    self.queries.label = f"{self.label} {k}"
                    with self.queries:
                        get_metric(k)(ctx)
                else:
                    get_metric(k)(ctx)
            except Exception as e:  # a metric being written: note it, go on
                self.errors.setdefault(k, f"{type(e).__name__}: {str(e)[:200]}")
            self.timings[k].append(time.perf_counter() - t1)
        self.cpu.append(time.process_time() - c0)
        return time.perf_counter() - t0


def get_page(client: Any, url: str, statuses: list[int]) -> float:
    t0 = time.perf_counter()
    statuses.append(client.get(url).status_code)
    return time.perf_counter() - t0


def measure(
    users: dict[str, str],
    label: str,
    slow: list[Any] | None,
    times: int = REPEAT,
    year: bool = True,
    metrics_pass: bool = True,
) -> dict[str, Any]:
    """Time every dashboard (metrics and page, month and year) for its viewer."""
    from django.test import Client
    from django.urls import Resolver404, resolve
    from django.utils import timezone

    from zina.accounts.models import User
    from zina.reports.context import metric_keys
    from zina.reports.dashboards import DASHBOARDS
    from zina.reports.period import Period

    today = timezone.localdate()
    periods = {
        "month": (Period.of("month", today), "?period=month"),
        "year": (
            Period("custom", today - timedelta(days=364), today),
            f"?period=custom&from={today - timedelta(days=364)}&to={today}",
        ),
    }
    if not year:
        del periods["year"]
    registered = metric_keys()
    results: dict[str, Any] = {}
    for key, dashboard in DASHBOARDS.items():
        keys = list(dict.fromkeys(m for s in dashboard.sections for m in s.metrics))
        present = [k for k in keys if k in registered]
        viewers = [(key, users[key])]
        if key == "portfolio":
            viewers.append(("portfolio_superuser", users["superuser"]))
        try:
            resolve(f"/reports/{key}/")
            has_page = True
        except Resolver404:
            has_page = False
        except Exception as e:  # the views are being written: measure the metrics alone
            log(f"/reports/{key}/ is not usable yet ({type(e).__name__}: {e}); metrics only")
            has_page = False
        for viewer, username in viewers:
            row: dict[str, Any] = {
                "metrics": len(present),
                "metrics_missing": [k for k in keys if k not in registered],
            }
            per_metric: dict[str, dict[str, float | None]] = {}
            errors: dict[str, str] = {}
            for pname, (period, query) in periods.items():
                run = DashboardRun(dashboard, username, present, period, f"{viewer} {pname}")
                passes = times if metrics_pass or not has_page else 0
                runs = repeat(partial(run.compute, slow is not None), passes)
                timings, cpu, queries = run.timings, run.cpu, run.queries
                errors.update(run.errors)
                suffix = "" if pname == "month" else "_year"
                row[f"metrics_p50_ms{suffix}"] = p50(runs)
                row[f"metrics_max_ms{suffix}"] = pmax(runs)
                row[f"metrics_cpu_p50_ms{suffix}"] = p50(cpu)
                for k, ts in timings.items():
                    per_metric.setdefault(k, {})[f"p50_ms{suffix}"] = p50(ts)
                if slow is not None:
                    slow.extend(queries.queries)
                if has_page:
                    client = Client()
                    client.force_login(User.objects.get(username=username))
                    statuses: list[int] = []
                    url = f"/reports/{key}/{query}"
                    runs = repeat(partial(get_page, client, url, statuses), times)
                    row[f"page_p50_ms{suffix}"] = p50(runs)
                    row[f"page_max_ms{suffix}"] = pmax(runs)
                    row[f"page_status{suffix}"] = sorted(set(statuses))
                    with QueryLog() as counted:
                        client.get(url)
                    row[f"page_queries{suffix}"] = len(counted.queries)
            # The headline figure: the page when it exists, else the metrics it computes.
            src = "page" if has_page else "metrics"
            row["measured"] = src
            for suffix in ("", "_year"):
                row[f"p50_ms{suffix}"] = row.get(f"{src}_p50_ms{suffix}")
                row[f"max_ms{suffix}"] = row.get(f"{src}_max_ms{suffix}")
            row["per_metric"] = per_metric
            row["errors"] = errors
            for k, e in errors.items():
                log(f"{label} {viewer}: metric {k} failed: {e}")
            results[viewer] = row
            log(
                f"{label} {viewer}: {src} p50 {row['p50_ms']} ms (max {row['max_ms']}), "
                f"year p50 {row['p50_ms_year']} ms; {len(present)} metrics"
            )
    return results


def explain(slow: list[tuple[float, str, Any, str]], n: int, out: Path) -> list[dict[str, Any]]:
    """Plans of the ``n`` slowest distinct statements."""
    from django.db import connection

    # The wrapper timed ``execute`` only; SQLite does its work as rows are fetched. Run each
    # distinct statement again, fetching everything, to rank them.
    seen: set[tuple[str, str]] = set()
    timed = []
    for _duration, sql, params, label in slow:
        key = (sql, label.split()[1])  # the same statement over the month and over the year
        if key in seen or not sql.lstrip().upper().startswith("SELECT"):
            continue
        seen.add(key)
        with connection.cursor() as cursor:
            t0 = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            timed.append((time.perf_counter() - t0, sql, params, label))
    picked = sorted(timed, key=lambda q: -q[0])[:n]
    prefix = (
        "EXPLAIN QUERY PLAN "
        if connection.vendor == "sqlite"
        else "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "
    )
    report = []
    with out.open("w", encoding="utf-8") as f:
        for duration, sql, params, label in picked:
            with connection.cursor() as cursor:
                cursor.execute(prefix + sql, params)
                plan = "\n".join(" | ".join(str(c) for c in row) for row in cursor.fetchall())
            f.write(f"-- {label}: {duration * 1000:.1f} ms\n{sql}\n{params}\n{plan}\n\n")
            short = sql if len(sql) < 600 else sql[:600] + " …"
            print(f"-- {label}: {duration * 1000:.1f} ms\n{short}\n{plan}\n", file=sys.stderr)
            report.append({"metric": label, "ms": round(duration * 1000, 1), "sql": sql[:300]})
    return report


def child(vendor: str) -> None:
    workdir = Path(os.environ["BENCH_REPORTS_DIR"]) / vendor
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ["ZINA_DATA_DIR"] = str(workdir)
    os.environ["DEBUG"] = "0"  # as served; DEBUG would keep every SQL statement
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zina.settings")
    if vendor == "sqlite":
        os.environ.pop("DATABASE_URL", None)
    elif not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("the PostgreSQL half runs under scripts/with-postgres")
    meta_path = workdir / "bench-meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    fresh = not (
        vendor == "sqlite"
        and meta.get("tickets") == TICKETS
        and meta.get("version") == GENERATOR_VERSION
    )
    if fresh and vendor == "sqlite":
        for p in workdir.glob("zina.sqlite3*"):
            p.unlink()
        meta_path.unlink(missing_ok=True)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from reports_data import generate

    call_command("migrate", verbosity=0)
    if fresh:
        drop_report_indexes()  # load without them; the baseline is measured without them
        log(f"{vendor}: generating {TICKETS:,} tickets in {workdir}")
        t0 = time.perf_counter()
        world = generate(TICKETS)
        generate_s = time.perf_counter() - t0
        meta = {
            "tickets": TICKETS,
            "version": GENERATOR_VERSION,
            "users": world.users,
            "generated_at": world.now.isoformat(),
            "generate_s": round(generate_s, 1),
            "counts": world.counts,
        }
        meta_path.write_text(json.dumps(meta, indent=1))
        log(f"{vendor}: generated in {generate_s:.0f} s: {world.counts}")
    else:
        log(f"{vendor}: reusing {workdir} ({TICKETS:,} tickets, generated {meta['generated_at']})")
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum does after a bulk load
    connection.close()

    if os.environ.get("BENCH_REPORTS_MEASURE", "1") == "0":
        print("BENCH-REPORTS " + json.dumps({"vendor": vendor, "generated_only": meta}))
        return
    users = meta["users"]
    dropped = drop_report_indexes()
    names = [index.name for _, index in report_indexes()]
    log(f"{vendor}: baseline without the report indexes {names}")
    # The baseline is slow (seconds to minutes a dashboard): by default once, over the
    # default period, through the page when it exists.
    baseline = measure(
        users,
        f"{vendor} baseline",
        None,
        times=BASELINE_REPEAT,
        year=BASELINE_YEAR,
        metrics_pass=False,
    )
    build_s = build_report_indexes()
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    log(f"{vendor}: report indexes built in {build_s:.1f} s; measuring with them")
    connection.close()
    slow: list[Any] = []
    indexed = measure(users, f"{vendor} indexed", slow if EXPLAIN else None)
    plans = explain(slow, EXPLAIN, workdir / "explain.txt") if EXPLAIN and slow else []
    per_metric: dict[str, dict[str, Any]] = {}
    for row in indexed.values():
        for k, figures in row["per_metric"].items():
            best = per_metric.setdefault(k, {})
            for f, v in figures.items():
                if v is not None and v > (best.get(f) or 0):
                    best[f] = v
    slowest = sorted(per_metric.items(), key=lambda kv: -(kv[1].get("p50_ms_year") or 0))
    figures = {
        "vendor": vendor,
        "tickets": TICKETS,
        "generate_s": meta.get("generate_s"),
        "reused": not fresh,
        "counts": meta.get("counts"),
        "indexes": names,
        "dropped_before_baseline": dropped,
        "index_build_s": round(build_s, 1),
        "indexed": indexed,
        "baseline": baseline,
        "slowest_metrics": [[k, v.get("p50_ms"), v.get("p50_ms_year")] for k, v in slowest[:10]],
        "plans": plans,
    }
    print("BENCH-REPORTS " + json.dumps(figures), flush=True)


# -- in the parent process ----------------------------------------------------------------------


def start_child(vendor: str, workdir: Path) -> subprocess.Popen[str]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", vendor]
    if vendor == "postgresql":
        cmd = [str(ROOT / "scripts" / "with-postgres"), *cmd]
    env = dict(os.environ, BENCH_REPORTS_DIR=str(workdir))
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)


def child_result(vendor: str, proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, _err = proc.communicate()
    for line in reversed(out.splitlines()):
        if line.startswith("BENCH-REPORTS "):
            return json.loads(line.removeprefix("BENCH-REPORTS "))
    sys.stdout.write(out)
    raise SystemExit(f"{vendor}: the measuring process failed (exit {proc.returncode})")


def fmt(v: Any) -> str:
    return "—" if v is None else f"{v:,.0f}"


def headline(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("p50_ms", "max_ms", "p50_ms_year", "max_ms_year")
    out = {k: row.get(k) for k in keys}
    out.update(
        {
            "measured": row["measured"],
            "metrics": row["metrics"],
            "metrics_p50_ms": row.get("metrics_p50_ms"),
            "metrics_p50_ms_year": row.get("metrics_p50_ms_year"),
            "metrics_cpu_p50_ms": row.get("metrics_cpu_p50_ms"),
            "page_queries": row.get("page_queries"),
        }
    )
    return out


def print_table(results: dict[str, dict[str, Any]]) -> None:
    head = (
        f"{'database':<11}{'dashboard':<21}{'metrics':>8}  "
        f"{'| no report indexes (baseline)':<34}{'| with report indexes':<34}"
    )
    sub = f"{'':<40}" + "| month p50/max    year p50/max    " * 2 + "| slowest metric (year p50)"
    print(head)
    print(sub)
    for vendor, fig in results.items():
        for viewer, row in fig["indexed"].items():
            base = fig["baseline"][viewer]
            cells = []
            for r in (base, row):
                cells.append(
                    f"| {fmt(r.get('p50_ms')):>6}/{fmt(r.get('max_ms')):<7}  "
                    f"{fmt(r.get('p50_ms_year')):>6}/{fmt(r.get('max_ms_year')):<7}  "
                )
            worst = max(
                row["per_metric"].items(),
                key=lambda kv: kv[1].get("p50_ms_year") or 0,
                default=(None, {}),
            )
            slow = f"{worst[0]} {fmt(worst[1].get('p50_ms_year'))} ms" if worst[0] else "—"
            print(f"{vendor:<11}{viewer:<21}{row['metrics']:>8}  " + "".join(cells) + f"| {slow}")
    print("(ms; the page when /reports/<key>/ exists, else the sum of its metrics)")
    for vendor, fig in results.items():
        print(f"{vendor}: slowest metrics with the indexes (p50 ms month / year):")
        for key, month, year in fig["slowest_metrics"]:
            print(f"  {key:<34}{fmt(month):>8}{fmt(year):>9}")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return
    which = os.environ.get("BENCH_REPORTS_DB", "both")
    vendors = ["sqlite", "postgresql"] if which == "both" else [which]
    keep_dir = os.environ.get("BENCH_REPORTS_DIR", "")
    workdir = Path(keep_dir) if keep_dir else Path(tempfile.mkdtemp(prefix="zina-bench-reports-"))
    workdir.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    results = {}
    t0 = time.perf_counter()
    if PARALLEL:  # faster, but the two databases then share the CPU while measured
        procs = {vendor: start_child(vendor, workdir) for vendor in vendors}
        results = {vendor: child_result(vendor, proc) for vendor, proc in procs.items()}
    else:
        for vendor in vendors:
            results[vendor] = child_result(vendor, start_child(vendor, workdir))
    if os.environ.get("BENCH_REPORTS_MEASURE", "1") == "0":
        print(json.dumps({"benchmark": "reports", "generated": results}))
        return
    print_table(results)
    figures: dict[str, Any] = {"benchmark": "reports", "tickets": TICKETS}
    for vendor, fig in results.items():
        figures[vendor] = {v: headline(r) for v, r in fig["indexed"].items()}
    figures["baseline"] = "the same dashboards in the same run without the rpt_* indexes"
    figures["baseline_no_indexes"] = {
        vendor: {v: headline(r) for v, r in fig["baseline"].items()}
        for vendor, fig in results.items()
    }
    figures["generate_s"] = {v: f["generate_s"] for v, f in results.items()}
    figures["index_build_s"] = {v: f["index_build_s"] for v, f in results.items()}
    figures["indexes"] = next(iter(results.values()))["indexes"] if results else []
    figures["slowest_metrics"] = {v: f["slowest_metrics"][:5] for v, f in results.items()}
    worst = [
        r.get("p50_ms")
        for f in results.values()
        for r in f["indexed"].values()
        if r.get("p50_ms") is not None
    ]
    figures["target_ms"] = TARGET_MS
    figures["meets_target"] = bool(worst) and max(worst) < TARGET_MS
    figures["metrics_missing"] = sorted(
        {k for f in results.values() for r in f["indexed"].values() for k in r["metrics_missing"]}
    )
    figures["repeat"] = REPEAT
    figures["total_s"] = round(time.perf_counter() - t0, 1)
    figures["load_avg"] = [round(load_before[0], 2), round(os.getloadavg()[0], 2)]
    if not keep_dir and not os.environ.get("BENCH_KEEP"):
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
