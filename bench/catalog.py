"""Benchmark: import 10,000 services + 50,000 resources + 100,000 dependency edges on SQLite.

Target (issue 3): under 60 s on a 2-core machine. Baseline printed beside it in the same run:
the naive way — one typed operation per row (create_resource: validate, save, audit) — timed
on a sample and extrapolated to the same number of rows.

Run: make bench-catalog. Prints progress, then one JSON line of figures.
"""

from __future__ import annotations

import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

# BENCH_CATALOG_ROWS="services,resources,edges" runs a smaller variant while developing.
_ROWS = os.environ.get("BENCH_CATALOG_ROWS", "10000,50000,100000")
SERVICES, RESOURCES, EDGES = (int(x) for x in _ROWS.split(","))
SERVICE_EDGES = EDGES * 3 // 10  # the rest are resource → resource
INSTITUTIONS = 10
BASELINE_SAMPLE = 1_000


def write_files(directory: Path, rng: random.Random) -> list[Path]:
    codes = [f"iest{i:02d}" for i in range(INSTITUTIONS)]
    services = directory / "services.csv"
    with services.open("w", encoding="utf-8") as f:
        f.write(
            "\ufeffinstitution;identifier;name;category;recipients;channels;public;"
            "availability_target;p1_response;p1_resolution\n"
        )
        for i in range(SERVICES):
            f.write(
                f"{codes[i % INSTITUTIONS]};SRV-{i:05d};Pakalpojums nr. {i} — izziņa;"
                f"Kategorija {i % 12};residents|businesses;e_service|phone;jā;99,5;30;240\n"
            )
    resources = directory / "resources.csv"
    with resources.open("w", encoding="utf-8") as f:
        f.write("institution;identifier;name;type;criticality\n")
        for i in range(RESOURCES):
            f.write(
                f"{codes[i % INSTITUTIONS]};RES-{i:05d};Resurss {i};"
                f"{('server', 'information_system', 'storage', 'network')[i % 4]};high\n"
            )
    deps = directory / "dependencies.csv"
    edges: set[tuple[str, int, int]] = set()
    while len(edges) < SERVICE_EDGES:
        edges.add(("service", rng.randrange(SERVICES), rng.randrange(RESOURCES)))
    while len(edges) < EDGES:
        a = rng.randrange(RESOURCES - 1)
        b = rng.randrange(a + 1, min(RESOURCES, a + 500))  # a DAG: edges only point "down"
        edges.add(("resource", a, b))
    with deps.open("w", encoding="utf-8") as f:
        f.write("from_type;from_institution;from_identifier;to_institution;to_identifier\n")
        for kind, a, b in sorted(edges):
            prefix = "SRV" if kind == "service" else "RES"
            f.write(
                f"{kind};{codes[a % INSTITUTIONS]};{prefix}-{a:05d};"
                f"{codes[b % INSTITUTIONS]};RES-{b:05d}\n"
            )
    return [services, resources, deps]


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="zina-bench-catalog-"))
    os.environ["ZINA_DATA_DIR"] = str(workdir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zina.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from zina.accounts.models import Institution, User
    from zina.catalog import operations as ops
    from zina.catalog import transfer
    from zina.catalog.models import Resource

    call_command("migrate", verbosity=0)
    root = User.objects.create_superuser("bench", password="x")  # noqa: S106
    for i in range(INSTITUTIONS):
        Institution.objects.create(code=f"iest{i:02d}", name=f"Iestāde {i}")
    files = write_files(workdir, random.Random(42))

    print(f"import: {SERVICES} services, {RESOURCES} resources, {EDGES} edges …", file=sys.stderr)
    import gc

    if os.environ.get("BENCH_NO_GC"):
        gc.disable()
    t0 = time.perf_counter()
    bundle = transfer.Bundle()
    for path in files:
        bundle.extend(transfer.read_file(path.name, path.read_bytes()))
    t_read = time.perf_counter()
    with transaction.atomic():
        plan = transfer.Planner(root, bundle).run()
        assert not plan.errors, plan.errors[:5]
        t_plan = time.perf_counter()
        transfer.apply(plan)
    t_apply = time.perf_counter()
    total = t_apply - t0
    assert Resource.objects.count() == RESOURCES

    print(f"baseline: one operation per row on {BASELINE_SAMPLE} resources …", file=sys.stderr)
    institution = Institution.objects.get(code="iest00")
    b0 = time.perf_counter()
    for i in range(BASELINE_SAMPLE):
        ops.create_resource(
            actor=root,
            institution=institution,
            data=ops.ResourceData(identifier=f"BASE-{i:05d}", name=f"Bāze {i}", type="server"),
        )
    per_row = (time.perf_counter() - b0) / BASELINE_SAMPLE
    baseline_total = per_row * (SERVICES + RESOURCES + EDGES)

    figures = {
        "benchmark": "catalog-import",
        "database": connection.vendor,
        "rows": {"services": SERVICES, "resources": RESOURCES, "edges": EDGES},
        "read_s": round(t_read - t0, 2),
        "plan_s": round(t_plan - t_read, 2),
        "apply_s": round(t_apply - t_plan, 2),
        "total_s": round(total, 2),
        "target_s": 60,
        "meets_target": total < 60,
        "baseline": "one create operation per row (validate, save, audit), extrapolated",
        "baseline_ms_per_row": round(per_row * 1000, 3),
        "baseline_total_s": round(baseline_total, 1),
        "speedup_vs_baseline": round(baseline_total / total, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
