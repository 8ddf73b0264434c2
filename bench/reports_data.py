"""Data for the reports benchmark: three years of a service desk, inserted in bulk.

``generate(tickets, rng)`` writes, into the database Django is connected to (SQLite or
PostgreSQL; migrated, empty): five institutions of different sizes, ~200 services with a
service level and per-priority targets, ~500 resources with dependencies, teams, agents and
one user for each dashboard's role, ``tickets`` tickets over the three years before now
(Zipf-like over services, growing over time, weekday and office-hour peaks, a realistic mix
of kinds, channels, levels, priorities and states, SLA clocks with some breaches, ~0.3%
interruption incidents, approved changes with planned downtime), SLA events, work-log events
(escalations, self-service, article use), ~5,000 articles (at 1,000,000 tickets) with
published and draft revisions, article–ticket links for ~30% of closed incidents, daily view
counts, feedback, the search log, deflections and assistant sessions.

Rows go in as plain values: ``executemany`` in big batches inside one transaction on SQLite
(foreign-key checks and fsync off while loading), ``COPY … FROM STDIN`` on PostgreSQL. No
operation runs, so nothing is audited and nothing reaches the search outbox (the reports do
not read the index). Ids are given explicitly; tickets get ids in creation order, as a live
system would. Everything is seeded: the same size gives the same data on both databases.
"""

from __future__ import annotations

import bisect
import json
import math
import random
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from tqdm import tqdm

from zina.tickets.choices import PRIORITY_MATRIX  # impact × urgency → priority, as the app

DAY = 86400
YEARS = 3
INSTITUTIONS = (  # code, name, share of the work
    ("vid", "Valsts ieņēmumu dienests", 0.38),
    ("vsaa", "Valsts sociālās apdrošināšanas aģentūra", 0.25),
    ("pmlp", "Pilsonības un migrācijas lietu pārvalde", 0.17),
    ("vzd", "Valsts zemes dienests", 0.12),
    ("lvc", "Valsts kanceleja", 0.08),
)
SERVICES = 200
RESOURCES = 500
AGENTS_PER_INSTITUTION = 25
BATCH = 5000

KINDS = (
    ("incident", 0.44),
    ("request", 0.36),
    ("change", 0.05),
    ("problem", 0.02),
    ("complaint", 0.08),
    ("suggestion", 0.05),
)
CHANNELS = (
    ("portal", 0.28),
    ("email", 0.25),
    ("phone", 0.19),
    ("visitor_desk", 0.08),
    ("video", 0.02),
    ("social", 0.02),
    ("assistant", 0.05),
    ("monitoring", 0.04),
    ("staff", 0.07),
)
# Working-minute targets per priority (response, resolution); the due times below spread
# them over wall-clock time roughly as office hours would.
TARGETS = {"P1": (15, 240), "P2": (60, 960), "P3": (240, 2400), "P4": (480, 4800)}
CLOCKED = {"incident", "request", "complaint", "suggestion"}
OPEN_STATES = ("new", "assigned", "in_progress", "waiting")
ARTICLE_TYPES = (
    ("solution", 0.30),
    ("instruction", 0.20),
    ("faq", 0.18),
    ("known_error", 0.10),
    ("workaround", 0.08),
    ("process", 0.06),
    ("change_notice", 0.04),
    ("interruption_report", 0.04),
)
AUDIENCES = (("public", 0.40), ("internal", 0.45), ("experts", 0.10), ("partners", 0.05))
SEARCH_WORDS = [
    "parole",
    "konts",
    "e-pasts",
    "printeris",
    "deklarācija",
    "pabalsts",
    "pase",
    "vīza",
    "reģistrācija",
    "zeme",
    "kadastrs",
    "nodoklis",
    "atskaite",
    "pieteikums",
    "iesniegums",
    "apliecība",
    "termiņš",
    "maksājums",
    "rēķins",
    "pieslēgums",
    "kļūda",
    "sertifikāts",
    "paraksts",
    "eparaksts",
    "kvīts",
    "izziņa",
    "pensija",
    "slimības",
    "algas",
    "vpn",
    "wifi",
    "outlook",
]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}] {message}", file=sys.stderr, flush=True)


def pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


class Picker:
    """Fast weighted choice (bisect over cumulative weights)."""

    def __init__(self, weighted: Sequence[tuple[Any, float]]) -> None:
        self.values = [v for v, _ in weighted]
        self.cum: list[float] = []
        total = 0.0
        for _, w in weighted:
            total += w
            self.cum.append(total)
        self.total = total

    def __call__(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect_right(self.cum, rng.random() * self.total)]


# -- writing -----------------------------------------------------------------------------------


class Writer:
    """Bulk rows into one model's table, whatever the database: ``write(model, fields, rows)``.

    Concrete fields not named get their model default once (``None`` for nullable ones), so
    each row carries only what the generator decides. Values are plain Python: int, str,
    bool, None, aware datetimes (UTC), dates, Decimals; JSON fields take dumped strings.
    """

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.vendor = connection.vendor
        self.counts: dict[str, int] = {}

    def _columns(self, model: Any, fields: Sequence[str]) -> tuple[list[str], tuple[Any, ...]]:
        from django.db import models

        opts = model._meta
        named = [opts.get_field(f) for f in fields]
        rest = [
            f
            for f in opts.concrete_fields
            if f not in named and not (isinstance(f, models.AutoField) and f.primary_key)
        ]
        defaults: list[Any] = []
        for f in rest:
            value = None if f.null else f.get_default()
            if isinstance(value, dict | list):
                value = json.dumps(value)
            defaults.append(value)
        return [f.column for f in named + rest], tuple(defaults)

    def write(self, model: Any, fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        columns, defaults = self._columns(model, fields)
        table = model._meta.db_table
        quote = self.connection.ops.quote_name
        names = ", ".join(quote(c) for c in columns)
        n = 0
        if self.vendor == "postgresql":
            with self.connection.cursor() as cursor:
                raw = cursor.cursor
                with raw.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row((*row, *defaults))
                        n += 1
        else:
            sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608
            raw = self.connection.connection
            batch: list[tuple[Any, ...]] = []
            for row in rows:
                batch.append(tuple(_sqlite(v) for v in row) + defaults)
                if len(batch) >= BATCH:
                    raw.executemany(sql, batch)
                    n += len(batch)
                    batch = []
            if batch:
                raw.executemany(sql, batch)
                n += len(batch)
        self.counts[table] = self.counts.get(table, 0) + n
        return n


def _sqlite(value: Any) -> Any:
    """Adapt a value as Django's SQLite backend stores it (naive UTC text for datetimes)."""
    if isinstance(value, datetime):
        return str(value.astimezone(UTC).replace(tzinfo=None))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# -- the generator ------------------------------------------------------------------------------


@dataclass
class World:
    """What the generator made that the measurement needs."""

    now: datetime
    institutions: list[int] = field(default_factory=list)
    users: dict[str, str] = field(default_factory=dict)  # dashboard → username
    counts: dict[str, int] = field(default_factory=dict)


def _ts(dt: datetime) -> float:
    return dt.timestamp()


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(int(ts), tz=UTC)


def generate(tickets: int, seed: int = 8) -> World:
    """Fill the (migrated, empty) database; return the users and counts."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from zina.accounts.choices import MembershipKind, Role
    from zina.accounts.models import Institution, Membership, RoleAssignment, User
    from zina.catalog.models import (
        Resource,
        ResourceDependency,
        Service,
        ServiceDependency,
        ServiceLevel,
        ServiceLevelTarget,
    )
    from zina.knowledge.models import (
        Article,
        ArticleFeedback,
        ArticleRevision,
        ArticleTicketLink,
        ArticleViewCount,
    )
    from zina.portal.models import AssistantSession, Deflection
    from zina.search.models import SearchLog
    from zina.tickets.models import SlaEvent, Team, Ticket, TicketEntry

    rng = random.Random(seed)
    now = datetime.now(tz=UTC).replace(microsecond=0)
    world = World(now=now)
    start_ts = _ts(now) - YEARS * 365 * DAY
    w = Writer()
    sqlite = connection.vendor == "sqlite"
    if not sqlite:
        # Foreign keys are deferred triggers on PostgreSQL: checking 2,000,000 rows one by
        # one at COMMIT takes minutes. The rows are consistent by construction, so the load
        # runs as a replica would (triggers off; the cluster's superuser may).
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
    else:
        connection.ensure_connection()
        raw = connection.connection
        raw.execute("PRAGMA foreign_keys=OFF")
        raw.execute("PRAGMA synchronous=OFF")
        raw.execute("PRAGMA cache_size=-1000000")  # 1 GB while loading; the default after

    # Few rows through the ORM: institutions, users, memberships, roles, teams.
    ContentType.objects.clear_cache()
    with transaction.atomic():
        User.objects.create_superuser("bench-root", password=None)
        world.users["superuser"] = "bench-root"
        insts = [
            Institution.objects.create(code=code, name=name, short_name=code.upper())
            for code, name, _ in INSTITUTIONS
        ]
        world.institutions = [i.pk for i in insts]
        inst_share = {i.pk: share for i, (_, _, share) in zip(insts, INSTITUTIONS, strict=True)}
        agents: dict[int, list[int]] = {}
        agent_rows = []
        unusable = make_password(None)
        for inst in insts:
            for a in range(AGENTS_PER_INSTITUTION):
                agent_rows.append(User(username=f"{inst.code}-agent{a:02d}", password=unusable))
        User.objects.bulk_create(agent_rows)
        for u in User.objects.filter(username__contains="-agent"):
            code = u.username.split("-agent")[0]
            inst = next(i for i in insts if i.code == code)
            agents.setdefault(inst.pk, []).append(u.pk)
        Membership.objects.bulk_create(
            Membership(user_id=uid, institution_id=iid, kind=MembershipKind.STAFF)
            for iid, uids in agents.items()
            for uid in uids
        )
        # Agents: the first fifth are level-2 experts, the rest level-1 specialists.
        RoleAssignment.objects.bulk_create(
            RoleAssignment(
                user_id=uid,
                institution_id=iid,
                role=Role.SUPPORT_EXPERT
                if n < AGENTS_PER_INSTITUTION // 5
                else Role.SUPPORT_SPECIALIST,
            )
            for iid, uids in agents.items()
            for n, uid in enumerate(uids)
        )
        teams: dict[tuple[int, int], list[int]] = {}
        for inst in insts:
            for level, names in (
                (1, ("Klientu atbalsts", "Tālrunis")),
                (2, ("IT eksperti", "Sistēmu uzturētāji")),
            ):
                for name in names:
                    t = Team.objects.create(institution=inst, name=name, level=level)
                    teams.setdefault((inst.pk, level), []).append(t.pk)

    # Catalog: services (Zipf-like sizes), service levels, resources, dependencies.
    t0 = time.perf_counter()
    inst_picker = Picker(list(inst_share.items()))
    services: list[tuple[int, int]] = []  # (id, institution)
    service_rows, level_rows, target_rows = [], [], []
    created = _dt(start_ts - 200 * DAY)
    for sid in range(1, SERVICES + 1):
        inst = inst_picker(rng)
        services.append((sid, inst))
        service_rows.append(
            [
                sid,
                inst,
                f"SRV-{sid:04d}",
                f"Pakalpojums {sid}",
                f"Service {sid}",
                f"Kategorija {sid % 9}",
                json.dumps(["residents"]),
                json.dumps(["e_service"]),
                "active",
                rng.random() < 0.8,
                created,
                created,
            ]
        )
        around = rng.random() < 0.2
        target = rng.choice(
            (Decimal("99.000"), Decimal("99.500"), Decimal("99.900"), Decimal("98.000"))
        )
        level_rows.append([sid, sid, around, "08:30:00", "17:00:00", "12345", target])
        for n, (prio, (resp, res)) in enumerate(TARGETS.items()):
            target_rows.append([sid * 4 + n, sid, prio, resp, res])
    with transaction.atomic():
        w.write(
            Service,
            [
                "id",
                "institution_id",
                "identifier",
                "name",
                "name_en",
                "category",
                "recipients",
                "channels",
                "status",
                "is_public",
                "created_at",
                "updated_at",
            ],
            service_rows,
        )
        w.write(
            ServiceLevel,
            [
                "id",
                "service_id",
                "around_the_clock",
                "support_start",
                "support_end",
                "support_days",
                "availability_target",
            ],
            level_rows,
        )
        w.write(
            ServiceLevelTarget,
            ["id", "service_level_id", "priority", "response_minutes", "resolution_minutes"],
            target_rows,
        )
        resources: list[tuple[int, int]] = []
        res_rows = []
        for rid in range(1, RESOURCES + 1):
            inst = inst_picker(rng)
            resources.append((rid, inst))
            res_rows.append(
                [
                    rid,
                    inst,
                    f"RES-{rid:04d}",
                    f"Resurss {rid}",
                    rng.choice(
                        (
                            "information_system",
                            "server",
                            "storage",
                            "network",
                            "application",
                            "data_register",
                        )
                    ),
                    rng.choice(("low", "medium", "high", "critical")),
                    "active",
                    created,
                    created,
                ]
            )
        w.write(
            Resource,
            [
                "id",
                "institution_id",
                "identifier",
                "name",
                "type",
                "criticality",
                "status",
                "created_at",
                "updated_at",
            ],
            res_rows,
        )
        res_of: dict[int, list[int]] = {}
        for rid, inst in resources:
            res_of.setdefault(inst, []).append(rid)
        deps: set[tuple[int, int]] = set()
        service_resources: dict[int, list[int]] = {}
        for sid, inst in services:
            for rid in rng.sample(res_of[inst], min(len(res_of[inst]), rng.randint(1, 4))):
                deps.add((sid, rid))
                service_resources.setdefault(sid, []).append(rid)
        w.write(
            ServiceDependency,
            ["id", "service_id", "resource_id"],
            ([n, s, r] for n, (s, r) in enumerate(sorted(deps), 1)),
        )
        rdeps: set[tuple[int, int]] = set()
        for rid, inst in resources:
            lower = [r for r in res_of[inst] if r > rid]
            for other in rng.sample(lower, min(len(lower), rng.randint(0, 2))):
                rdeps.add((rid, other))
        w.write(
            ResourceDependency,
            ["id", "resource_id", "depends_on_id"],
            ([n, a, b] for n, (a, b) in enumerate(sorted(rdeps), 1)),
        )
    log(
        f"catalog: {len(services)} services, {len(resources)} resources "
        f"({time.perf_counter() - t0:.1f} s)"
    )

    # The dashboards' users, in the biggest institution: a portfolio owner, a service owner
    # of three services (the busiest of it among them), a resource owner of five resources,
    # a support lead (incident manager: manages the queues) and a knowledge manager.
    main = world.institutions[0]
    own_services = [s for s, i in services if i == main][:3]
    own_resources = [r for r, i in resources if i == main][:5]
    ct_service = ContentType.objects.get_for_model(Service).pk
    ct_resource = ContentType.objects.get_for_model(Resource).pk
    with transaction.atomic():
        for dashboard, role, scoped in (
            ("portfolio", Role.SERVICE_PORTFOLIO_OWNER, None),
            ("service", Role.SERVICE_OWNER, (ct_service, own_services)),
            ("resource", Role.RESOURCE_OWNER, (ct_resource, own_resources)),
            ("support", Role.INCIDENT_MANAGER, None),
            ("knowledge", Role.KNOWLEDGE_MANAGER, None),
        ):
            user = User.objects.create_user(f"bench-{dashboard}", password=None)
            Membership.objects.create(user=user, institution_id=main, kind=MembershipKind.STAFF)
            if scoped is None:
                RoleAssignment.objects.create(
                    user=user, institution_id=main, role=role, responsibility="A"
                )
            else:
                ct, ids = scoped
                for pk in ids:
                    RoleAssignment.objects.create(
                        user=user,
                        institution_id=main,
                        role=role,
                        responsibility="A",
                        scope_type_id=ct,
                        scope_id=pk,
                    )
            world.users[dashboard] = user.username

    # Articles first (their ids and times), so that tickets can link to those that exist.
    n_articles = max(300, tickets // 200)
    article_times = sorted(
        start_ts + rng.random() * (_ts(now) - start_ts) for _ in range(n_articles)
    )
    services_of_inst: dict[int, list[int]] = {}
    for sid, inst in services:
        services_of_inst.setdefault(inst, []).append(sid)
    articles: list[dict[str, Any]] = []
    for aid, ts in enumerate(article_times, 1):
        inst = inst_picker(rng)
        draft_only = rng.random() < 0.08
        articles.append(
            {
                "id": aid,
                "inst": inst,
                "ts": ts,
                "draft_only": draft_only,
                "from_ticket": rng.random() < 0.35,
                "services": rng.sample(
                    services_of_inst[inst], min(len(services_of_inst[inst]), rng.randint(1, 2))
                )
                if rng.random() < 0.75
                else [],
                "popularity": 1.0 / (rng.random() * 50 + 1) if rng.random() > 0.15 else 0.0,
            }
        )

    # Tickets: spread over the days with growth, weekday and office-hour shapes; Zipf over
    # services (within an institution's share).
    ndays = YEARS * 365
    day_weights = []
    first_day = _dt(start_ts)
    for d in range(ndays):
        day = first_day + timedelta(days=d)
        growth = 0.7 + 0.6 * d / ndays
        weekday = 1.0 if day.weekday() < 5 else 0.22
        season = 1.0 + 0.15 * math.sin(2 * math.pi * (day.timetuple().tm_yday / 365.0))
        day_weights.append(growth * weekday * season)
    cum = []
    total = 0.0
    for x in day_weights:
        total += x
        cum.append(total)
    hour_picker = Picker(
        [(h, 0.15 if h < 7 or h > 19 else (1.0 if 8 <= h <= 16 else 0.5)) for h in range(24)]
    )
    ranked = sorted(services, key=lambda _: rng.random())
    service_picker = Picker(
        [((sid, inst), 1.0 / (rank + 2) ** 1.05) for rank, (sid, inst) in enumerate(ranked)]
    )
    kind_picker = Picker(KINDS)
    channel_picker = Picker(CHANNELS)
    impact_picker = Picker(((1, 0.08), (2, 0.3), (3, 0.62)))
    urgency_picker = Picker(((1, 0.12), (2, 0.5), (3, 0.38)))
    days = sorted(bisect.bisect_right(cum, rng.random() * total) for _ in range(tickets))
    # Subjects: a few thousand topics, Zipf-like, so that similar incidents recur (the
    # knowledge-gap clusters read them); Latvian mostly, some English.
    from corpus import Corpus

    corpus = Corpus(seed=seed, scale=20_000)
    topics = {
        lang: Picker([(corpus.title(rng, lang), 1.0 / (r + 1)) for r in range(n)])
        for lang, n in (("lv", 2000), ("en", 400))
    }

    ticket_fields = [
        "id",
        "kind",
        "state",
        "institution_id",
        "received_by_id",
        "subject",
        "channel",
        "service_id",
        "resource_id",
        "impact",
        "urgency",
        "priority",
        "level",
        "team_id",
        "assignee_id",
        "reporter_name",
        "reporter_email",
        "language",
        "interruption",
        "interruption_start",
        "interruption_end",
        "sla_start",
        "response_due",
        "resolution_due",
        "responded_at",
        "resolved_at",
        "closed_at",
        "change_type",
        "planned_start",
        "planned_end",
        "expected_downtime_minutes",
        "approved_by_id",
        "approved_at",
        "time_spent_minutes",
        "created_at",
        "updated_at",
    ]
    entry_fields = [
        "id",
        "ticket_id",
        "kind",
        "author_id",
        "author_label",
        "body",
        "verb",
        "data",
        "created_at",
    ]
    sla_fields = ["id", "ticket_id", "metric", "event", "due_at", "at"]
    link_fields = [
        "id",
        "article_id",
        "ticket_type_id",
        "ticket_id",
        "relation",
        "created_by_id",
        "created_at",
    ]
    ct_ticket = ContentType.objects.get_for_model(Ticket).pk
    now_ts = _ts(now)
    state = {"entry": 0, "sla": 0, "link": 0}
    links: list[list[Any]] = []
    # Articles that exist at a given moment, per institution (and per service), as the
    # stream of tickets passes their creation times.
    live_by_inst: dict[int, list[int]] = {}
    live_by_service: dict[int, list[int]] = {}
    next_article = 0
    last_incident: dict[int, int] = {}
    assistant_tickets: list[tuple[int, float]] = []

    def ticket_stream(entries: list[list[Any]], slas: list[list[Any]]) -> Iterator[list[Any]]:
        nonlocal next_article
        for tid, d in enumerate(days, 1):
            ts = start_ts + d * DAY + hour_picker(rng) * 3600 + rng.randrange(3600)
            ts = min(ts, now_ts - 60)
            while next_article < len(articles) and articles[next_article]["ts"] <= ts:
                a = articles[next_article]
                if not a["draft_only"]:
                    live_by_inst.setdefault(a["inst"], []).append(a["id"])
                    for s in a["services"]:
                        live_by_service.setdefault(s, []).append(a["id"])
                if a["from_ticket"] and a["inst"] in last_incident:
                    state["link"] += 1
                    links.append(
                        [
                            state["link"],
                            a["id"],
                            ct_ticket,
                            last_incident[a["inst"]],
                            "created_from",
                            agents[a["inst"]][0],
                            _dt(a["ts"]),
                        ]
                    )
                next_article += 1
            kind = kind_picker(rng)
            if rng.random() < 0.05:
                sid, inst = None, inst_picker(rng)
            else:
                sid, inst = service_picker(rng)
            channel = (
                "monitoring" if kind == "incident" and rng.random() < 0.05 else channel_picker(rng)
            )
            if channel == "monitoring" and kind != "incident":
                channel = "email"
            impact, urgency = impact_picker(rng), urgency_picker(rng)
            interruption = kind == "incident" and rng.random() < 0.0068  # ~0.3% of all tickets
            if interruption:
                impact, urgency = 1, rng.choice((1, 2))
            priority = PRIORITY_MATRIX[(impact, urgency)]
            age = now_ts - ts
            self_service = (
                kind == "request" and channel in ("portal", "assistant") and rng.random() < 0.1
            )
            level = (
                0 if self_service else (2 if channel == "monitoring" or rng.random() < 0.03 else 1)
            )
            escalated = (
                level == 1 and kind in ("incident", "request", "problem") and rng.random() < 0.14
            )
            if escalated:
                level = 2
            resource_id = None
            if sid is not None and kind in ("incident", "problem", "change") and rng.random() < 0.5:
                resource_id = rng.choice(service_resources[sid])
            # Where the ticket stands: old ones are finished, recent ones partly open.
            if self_service:
                st = "closed"
            elif age < 3 * DAY:
                st = rng.choice(
                    ("new", "assigned", "in_progress", "in_progress", "waiting", "resolved")
                )
            elif age < 21 * DAY:
                st = pick(
                    rng,
                    (
                        ("in_progress", 0.12),
                        ("waiting", 0.06),
                        ("resolved", 0.32),
                        ("closed", 0.46),
                        ("cancelled", 0.04),
                    ),
                )
            else:
                st = pick(
                    rng,
                    (
                        ("closed", 0.9),
                        ("cancelled", 0.04),
                        ("resolved", 0.02),
                        ("in_progress", 0.02),
                        ("waiting", 0.02),
                    ),
                )
            if kind == "change" and st not in ("cancelled",):
                st = (
                    pick(rng, ((st, 0.6), ("approved", 0.2), ("rejected", 0.05), ("closed", 0.15)))
                    if age > 21 * DAY
                    else pick(rng, (("awaiting_approval", 0.4), ("approved", 0.4), (st, 0.2)))
                )
            if kind == "problem" and st in ("in_progress", "waiting") and rng.random() < 0.5:
                st = "known_error"
            team = rng.choice(teams[(inst, 2 if level == 2 else 1)]) if not self_service else None
            assignee = None if st == "new" or self_service else rng.choice(agents[inst])
            clocked = kind in CLOCKED and not self_service
            resp_min, res_min = TARGETS[priority]
            response_due = resolution_due = sla_start = None
            responded = resolved = closed = None
            if clocked:
                sla_start = ts
                # Working minutes → wall clock: ~3× for office hours, less for P1.
                stretch = 1.2 if priority == "P1" else 3.0
                response_due = ts + resp_min * 60 * stretch
                resolution_due = ts + res_min * 60 * stretch
            finished = st in ("resolved", "closed")
            if st not in ("new",) and not self_service:
                responded = ts + (resp_min * 60 * 3.0 if clocked else 3600) * rng.lognormvariate(
                    -1.0, 0.85
                )
            if finished:
                base = res_min * 60 * 3.0 if clocked else 3 * DAY
                resolved = ts + base * rng.lognormvariate(-0.9, 0.75)
                if responded is None or responded > resolved:
                    responded = resolved
                if st == "closed":
                    closed = resolved + rng.choice((1, 2, 5, 5, 5)) * DAY
            if self_service:
                responded = resolved = closed = ts + 60
            if st in ("cancelled", "rejected"):
                closed = ts + rng.random() * 5 * DAY
            if responded is not None and responded > now_ts:
                responded = now_ts - 30
            if resolved is not None and resolved > now_ts:
                resolved = now_ts - 20
            if closed is not None and closed > now_ts:
                closed = None if st != "closed" else now_ts - 10
            if closed is None and st == "closed":
                st = "resolved"
            i_start = i_end = None
            if interruption:
                i_start = ts - rng.randrange(1800)
                if finished:
                    i_end = i_start + 60 * max(5, rng.lognormvariate(4.4, 0.9))
                    if i_end > now_ts:
                        i_end = now_ts - 60
            change_type = planned_start = planned_end = downtime = approved_by = approved_at = None
            if kind == "change":
                change_type = pick(rng, (("standard", 0.5), ("normal", 0.42), ("emergency", 0.08)))
                if st in ("approved", "closed", "resolved", "in_progress"):
                    approved_by = agents[inst][0]
                    approved_at = ts + rng.random() * 2 * DAY
                    planned_start = approved_at + rng.randint(1, 14) * DAY
                    planned_end = planned_start + rng.choice((1, 2, 4, 8)) * 3600
                    if rng.random() < 0.35:
                        downtime = rng.choice((15, 30, 60, 120, 240))
            updated = max(x for x in (ts, responded, resolved, closed) if x is not None)
            language = "lv" if rng.random() < 0.9 else "en"
            subject = topics[language](rng)
            received_by = None
            if rng.random() < 0.03:
                other = inst_picker(rng)
                received_by = other if other != inst else None
            yield [
                tid,
                kind,
                st,
                inst,
                received_by,
                subject,
                channel,
                sid,
                resource_id,
                impact,
                urgency,
                priority,
                level,
                team,
                assignee,
                f"Iedzīvotājs {tid % 9973}",
                f"r{tid % 9973}@example.lv",
                language,
                interruption,
                _o(i_start),
                _o(i_end),
                _o(sla_start),
                _o(response_due),
                _o(resolution_due),
                _o(responded),
                _o(resolved),
                _o(closed),
                change_type or "",
                _o(planned_start),
                _o(planned_end),
                downtime,
                approved_by,
                _o(approved_at),
                rng.choice((0, 5, 10, 15, 30, 60)),
                _dt(ts),
                _dt(updated),
            ]
            # SLA events: a breach is recorded once per clock that went past its due time.
            if clocked:
                for metric, due, done in (
                    ("response", response_due, responded),
                    ("resolution", resolution_due, resolved),
                ):
                    assert due is not None
                    if (done if done is not None else now_ts) > due and due < now_ts:
                        state["sla"] += 1
                        slas.append([state["sla"], tid, metric, "breach", _dt(due), _dt(due + 60)])
                    elif done is not None and done > due - (due - ts) * 0.2 and rng.random() < 0.5:
                        state["sla"] += 1
                        warn = due - (due - ts) * 0.2
                        slas.append([state["sla"], tid, metric, "warning", _dt(due), _dt(warn)])
            if escalated:
                state["entry"] += 1
                at = ts + (responded - ts if responded else 600) + rng.randrange(7200)
                entries.append(
                    [
                        state["entry"],
                        tid,
                        "event",
                        assignee,
                        "",
                        "Vajag ekspertu",
                        "escalated",
                        '{"from_level": 1, "to_level": 2}',
                        _dt(min(at, now_ts)),
                    ]
                )
            if self_service:
                state["entry"] += 1
                entries.append(
                    [
                        state["entry"],
                        tid,
                        "event",
                        None,
                        "",
                        "",
                        "self_service",
                        '{"article": null}',
                        _dt(ts + 60),
                    ]
                )
            if kind == "incident":
                last_incident[inst] = tid
            if channel == "assistant":
                assistant_tickets.append((tid, ts))
            # KCS: ~30% of finished incidents get an article linked ("used to resolve").
            if kind == "incident" and finished and rng.random() < 0.3:
                pool = live_by_service.get(sid) if sid and rng.random() < 0.6 else None
                pool = pool or live_by_inst.get(inst)
                if pool:
                    aid = pool[min(len(pool) - 1, int(len(pool) * rng.random() ** 0.5))]
                    state["link"] += 1
                    assert resolved is not None
                    links.append(
                        [
                            state["link"],
                            aid,
                            ct_ticket,
                            tid,
                            "used_to_resolve",
                            assignee or agents[inst][0],
                            _dt(resolved),
                        ]
                    )
                    state["entry"] += 1
                    entries.append(
                        [
                            state["entry"],
                            tid,
                            "event",
                            assignee,
                            "",
                            "",
                            "article_used",
                            json.dumps({"article": aid}),
                            _dt(resolved),
                        ]
                    )

    t0 = time.perf_counter()
    with transaction.atomic():
        entries: list[list[Any]] = []
        slas: list[list[Any]] = []
        bar = tqdm(
            total=tickets,
            desc="tickets",
            unit="t",
            unit_scale=True,
            file=sys.stderr,
            mininterval=2.0,
        )
        stream = ticket_stream(entries, slas)
        while True:
            chunk = [row for _, row in zip(range(BATCH * 4), stream, strict=False)]
            if not chunk:
                break
            w.write(Ticket, ticket_fields, chunk)
            w.write(TicketEntry, entry_fields, entries)
            w.write(SlaEvent, sla_fields, slas)
            entries.clear()
            slas.clear()
            bar.update(len(chunk))
        bar.close()
    log(f"tickets: {tickets:,} in {time.perf_counter() - t0:.0f} s")

    t0 = time.perf_counter()
    with transaction.atomic():
        authors = {inst: ids for inst, ids in agents.items()}
        article_rows, revision_rows, m2m_rows = [], [], []
        rev_id = 0
        for a in articles:
            inst, ts = a["inst"], a["ts"]
            owner = rng.choice(authors[inst])
            type_ = pick(rng, ARTICLE_TYPES)
            audience = pick(rng, AUDIENCES)
            review_by = (_dt(ts) + timedelta(days=rng.choice((180, 365, 365, 730)))).date()
            archived = (
                _dt(ts + 400 * DAY) if rng.random() < 0.03 and ts + 400 * DAY < now_ts else None
            )
            article_rows.append(
                [
                    a["id"],
                    inst,
                    type_,
                    audience,
                    rng.random() < 0.02,
                    owner,
                    review_by,
                    _o(archived and archived.timestamp()),
                    _dt(ts),
                    _dt(ts),
                ]
            )
            for s in a["services"]:
                m2m_rows.append([a["id"], s])
            languages = ["lv"] + (["en"] if rng.random() < 0.2 else [])
            for lang in languages:
                rev_id += 1
                if a["draft_only"]:
                    revision_rows.append(_draft(rev_id, a["id"], lang, 1, owner, ts))
                    continue
                published = min(ts + DAY * rng.lognormvariate(0.5, 1.2), now_ts - 60)
                revision_rows.append(
                    [
                        rev_id,
                        a["id"],
                        lang,
                        1,
                        "validated",
                        True,
                        f"Raksts {a['id']}",
                        owner,
                        agents[inst][1],
                        _dt(published),
                        _dt(ts),
                        _dt(published),
                    ]
                )
                if rng.random() < 0.1:  # an improvement in progress
                    rev_id += 1
                    later = min(published + DAY * rng.randint(1, 300), now_ts - 60)
                    revision_rows.append(_draft(rev_id, a["id"], lang, 2, owner, later))
        w.write(
            Article,
            [
                "id",
                "institution_id",
                "type",
                "audience",
                "shared_with_all",
                "owner_id",
                "review_by",
                "archived_at",
                "created_at",
                "updated_at",
            ],
            article_rows,
        )
        w.write(
            ArticleRevision,
            [
                "id",
                "article_id",
                "language",
                "number",
                "state",
                "is_live",
                "title",
                "author_id",
                "reviewed_by_id",
                "reviewed_at",
                "created_at",
                "updated_at",
            ],
            revision_rows,
        )
        w.write(
            Article.services.through,
            ["id", "article_id", "service_id"],
            ([n, a, s] for n, (a, s) in enumerate(m2m_rows, 1)),
        )
        w.write(ArticleTicketLink, link_fields, links)

        # Views per day and kind of reader, feedback: by popularity; ~15% never viewed.
        view_rows, feedback_rows = [], []
        vid = fid = 0
        target_views = tickets // 2
        total_pop = sum(a["popularity"] for a in articles if not a["draft_only"]) or 1.0
        for a in articles:
            if a["draft_only"] or a["popularity"] == 0.0:
                continue
            n_days = max(1, int(target_views * a["popularity"] / total_pop / 1.6))
            span = max(1, int((now_ts - a["ts"]) // DAY))
            for day_off in sorted(rng.sample(range(span), min(span, n_days))):
                day = (_dt(a["ts"]) + timedelta(days=day_off)).date()
                for reader in ("anonymous", "staff") if rng.random() < 0.6 else ("staff",):
                    vid += 1
                    view_rows.append([vid, a["id"], day, reader, 1 + int(rng.expovariate(0.3))])
            for _ in range(int(n_days * 0.15) + (1 if rng.random() < 0.5 else 0)):
                fid += 1
                at = a["ts"] + rng.random() * (now_ts - a["ts"])
                feedback_rows.append([fid, a["id"], rng.random() < 0.72, "", _dt(at)])
        w.write(ArticleViewCount, ["id", "article_id", "day", "reader", "count"], view_rows)
        w.write(
            ArticleFeedback, ["id", "article_id", "helpful", "comment", "created_at"], feedback_rows
        )

        # The search log (some searches find nothing), deflections, assistant sessions.
        def when() -> datetime:
            return _dt(start_ts + days[rng.randrange(len(days))] * DAY + hour_picker(rng) * 3600)

        def query() -> str:
            return " ".join(rng.sample(SEARCH_WORDS, rng.randint(1, 3)))

        search_rows = []
        for sid_ in range(1, tickets * 3 // 10 + 1):
            q = query() if rng.random() > 0.08 else f"{query()} x{rng.randrange(5000)}"
            zero = q.split()[-1].startswith("x") or rng.random() < 0.03
            search_rows.append(
                [
                    sid_,
                    q,
                    q.lower(),
                    rng.choice(("portal", "staff", "suggest", "assistant")),
                    0 if zero else rng.randint(1, 200),
                    rng.random() < 0.4,
                    when(),
                ]
            )
        search_rows.sort(key=lambda r: r[-1])
        for n, r in enumerate(search_rows, 1):
            r[0] = n
        w.write(
            SearchLog,
            ["id", "text", "normalized", "surface", "results", "staff", "created_at"],
            search_rows,
        )
        deflection_rows = []
        published_ids = [a["id"] for a in articles if not a["draft_only"]]
        art_inst = {a["id"]: a["inst"] for a in articles}
        for did in range(1, tickets // 20 + 1):
            aid = rng.choice(published_ids)
            sid, _i = service_picker(rng)
            deflection_rows.append(
                [
                    did,
                    pick(rng, (("submit_form", 0.6), ("assistant", 0.25), ("search", 0.15))),
                    aid,
                    sid if rng.random() < 0.6 else None,
                    art_inst[aid],
                    rng.choice(("incident", "request", "")),
                    query(),
                    when(),
                ]
            )
        w.write(
            Deflection,
            [
                "id",
                "source",
                "article_id",
                "service_id",
                "institution_id",
                "kind",
                "query",
                "created_at",
            ],
            deflection_rows,
        )
        session_rows = []
        escalations = iter(assistant_tickets)
        for n in range(1, tickets * 6 // 100 + 1):
            outcome = pick(
                rng, (("helped", 0.45), ("not_helped", 0.25), ("escalated", 0.15), ("open", 0.15))
            )
            ticket_id = None
            at = when()
            if outcome == "escalated":
                nxt = next(escalations, None)
                if nxt is None:
                    outcome = "not_helped"
                else:
                    ticket_id, ts = nxt
                    at = _dt(ts - 120)
            session_rows.append([n, f"bench-{n}", "lv", None, "", outcome, ticket_id, at, at])
        w.write(
            AssistantSession,
            [
                "id",
                "key",
                "language",
                "user_id",
                "address_hash",
                "outcome",
                "ticket_id",
                "started_at",
                "updated_at",
            ],
            session_rows,
        )
    log(f"knowledge and self-service rows in {time.perf_counter() - t0:.0f} s")

    if connection.vendor == "postgresql":
        from django.apps import apps
        from django.core.management.color import no_style

        models = [m for m in apps.get_models(include_auto_created=True)]
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
    else:
        connection.connection.execute("PRAGMA foreign_keys=ON")
    world.counts = dict(w.counts)
    return world


def _draft(
    rev_id: int, article_id: int, lang: str, number: int, owner: int, at: float
) -> list[Any]:
    """A draft revision row (the columns of the article revisions written above)."""
    title = f"Raksts {article_id}"
    return [
        rev_id,
        article_id,
        lang,
        number,
        "draft",
        False,
        title,
        owner,
        None,
        None,
        _dt(at),
        _dt(at),
    ]


def _o(ts: float | None) -> datetime | None:
    return None if ts is None else _dt(ts)
