"""Data for the knowledge metrics' tests: two institutions (A and B), each with a service, a
knowledge manager and a support expert, and helpers that make articles and tickets through
the real operations. Past moments are set afterwards with ``.update()``.

Import the fixtures you use by name (``from .knowledge_fixtures import world``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from zina.accounts import operations as account_ops
from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.catalog import operations as catalog_ops
from zina.catalog.models import Service
from zina.conftest import refresh
from zina.knowledge import operations as kops
from zina.knowledge.choices import ArticleType, Audience
from zina.knowledge.models import Article, ArticleRevision
from zina.reports.context import ReportContext, get_metric
from zina.reports.period import Period
from zina.reports.scope import Scope, knowledge_scope
from zina.reports.tables import Table
from zina.tickets import operations as tops
from zina.tickets.models import Ticket

# Far enough back to be outside the current month whatever today's date is.
LONG_AGO = timedelta(days=70)


@dataclass
class Side:
    """One institution with what the tests need of it."""

    institution: Institution
    service: Service
    manager: User  # knowledge manager (reads and publishes, works on no ticket)
    worker: User  # support expert (works on tickets, writes knowledge)


def this_month() -> Period:
    return Period.of("month", timezone.localdate())


def context(user: Any, scope: Scope | None = None, dashboard: str = "knowledge") -> ReportContext:
    """A fresh context (its querysets are cached per instance) over this month."""
    return ReportContext(
        user=user,
        dashboard=dashboard,
        scope=scope if scope is not None else knowledge_scope(user),
        period=this_month(),
    )


def run(key: str, user: Any, scope: Scope | None = None) -> Table:
    return get_metric(key)(context(refresh(user) if isinstance(user, User) else user, scope))


def cells(table: Table) -> list[str]:
    """Every cell of a table as text (link labels and URLs included): for "never shown" checks."""
    out: list[str] = []
    for row in table.rows:
        for cell in row:
            if isinstance(cell, tuple):
                out.extend(cell)
            else:
                out.append(str(cell))
    return out


def move_back(obj: Any, field: str = "created_at", by: timedelta = LONG_AGO) -> None:
    """Set ``field`` of ``obj``'s row to ``by`` before now."""
    type(obj).objects.filter(pk=obj.pk).update(**{field: timezone.now() - by})


@dataclass
class World:
    superuser: User
    a: Side
    b: Side

    def article(
        self,
        side: Side,
        title: str,
        *,
        type: str = ArticleType.SOLUTION,
        audience: str = Audience.INTERNAL,
        publish: bool = True,
        shared_with: list[Institution] | None = None,
    ) -> Article:
        revision = kops.create_article(
            actor=side.manager,
            institution=side.institution,
            settings=kops.ArticleSettings(
                type=type,
                audience=audience,
                services=[side.service],
                shared_with=shared_with or [],
            ),
            text=kops.ArticleText(title=title, symptoms="Simptomi.", resolution="Risinājums."),
        )
        if publish:
            kops.publish_revision(actor=refresh(side.manager), revision=revision)
        return Article.objects.get(pk=revision.article_id)

    def first_revision(self, article: Article) -> ArticleRevision:
        return article.revisions.order_by("number").first()  # type: ignore[return-value]

    def incident(
        self, side: Side, subject: str, *, resolve: bool = False, service: bool = True
    ) -> Ticket:
        ticket = tops.open_ticket(
            actor=side.worker,
            institution=side.institution,
            kind="incident",
            data=tops.TicketData(
                subject=subject,
                description="Apraksts.",
                service=side.service if service else None,
            ),
            reporter=tops.Reporter(name="Pilsonis", email="pilsonis@example.lv"),
        )
        if resolve:
            ticket = tops.transition(
                actor=side.worker, ticket=ticket, action="resolve", resolution="Atrisināts."
            )
        return ticket

    def use(self, side: Side, ticket: Ticket, article: Article) -> None:
        tops.use_article(actor=side.worker, ticket=ticket, article=article)

    def draft(self, side: Side, ticket: Ticket) -> Article:
        revision = tops.draft_article(actor=side.worker, ticket=Ticket.objects.get(pk=ticket.pk))
        return Article.objects.get(pk=revision.article_id)


def _side(
    superuser: User,
    make_user: Callable[..., User],
    institution: Institution,
    code: str,
    service_name: str,
) -> Side:
    service = catalog_ops.create_service(
        actor=superuser,
        institution=institution,
        data=catalog_ops.ServiceData(identifier=f"{code.upper()}-SVC", name=service_name),
    )
    manager = make_user(
        f"zm-{code}", institution, Role.KNOWLEDGE_MANAGER, first_name="Zane", last_name=code
    )
    worker = make_user(f"eksperts-{code}", institution, Role.SUPPORT_EXPERT)
    return Side(institution, service, manager, worker)


@pytest.fixture
def world(
    superuser: User,
    make_user: Callable[..., User],
    institution: Institution,
    other_institution: Institution,
) -> World:
    return World(
        superuser=superuser,
        a=_side(superuser, make_user, institution, "a", "E-pasta pakalpojums"),
        b=_side(superuser, make_user, other_institution, "b", "Pabalstu pieprasīšana"),
    )


def also_worker(superuser: User, user: User, institution: Institution) -> User:
    """Give ``user`` the support-expert role too (so they may work on the tickets)."""
    account_ops.assign_role(
        actor=superuser,
        user=user,
        institution=institution,
        role=Role.SUPPORT_EXPERT,
        responsibility="L",
    )
    return refresh(user)


def service_owner(world: World, service: Service) -> User:
    """A staff member of the service's institution who owns only ``service``."""
    user = account_ops.create_user(
        actor=world.superuser,
        institution=service.institution,
        username=f"saimnieks-{service.pk}",
        data=account_ops.UserData(),
    )
    account_ops.assign_role(
        actor=world.superuser,
        user=user,
        institution=service.institution,
        role=Role.SERVICE_OWNER,
        responsibility="A",
        scope=service,
    )
    return refresh(user)
