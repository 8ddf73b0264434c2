"""Fixtures of the public-knowledge and submitting tests: public and internal articles linked
to a public service, made through the real operations; a fresh form stamp old enough to pass
the minimum fill time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core import signing

from zina.accounts.models import Institution, User
from zina.catalog import operations as catalog_ops
from zina.catalog.models import Service
from zina.knowledge import operations as kops
from zina.knowledge.choices import ArticleType, Audience
from zina.knowledge.models import Article
from zina.portal import spam


def old_stamp(seconds: float = 60) -> str:
    """A form stamp as if the form had been shown ``seconds`` ago."""
    return signing.dumps(time.time() - seconds, salt=spam.STAMP_SALT)


@pytest.fixture
def public_service(superuser: User, institution: Institution) -> Service:
    data = catalog_ops.ServiceData(
        identifier="VRA-EPAK",
        name="E-adreses pakalpojums",
        name_en="E-address service",
        description="Oficiālā elektroniskā adrese.",
        category="Digitālie pakalpojumi",
    )
    return catalog_ops.create_service(actor=superuser, institution=institution, data=data)


@pytest.fixture
def hidden_service(superuser: User, institution: Institution) -> Service:
    data = catalog_ops.ServiceData(
        identifier="VRA-INT", name="Iekšējā sistēma", category="Slepenā kategorija", is_public=False
    )
    return catalog_ops.create_service(actor=superuser, institution=institution, data=data)


@pytest.fixture
def publish(superuser: User, institution: Institution) -> Callable[..., Article]:
    """``publish(title, body=…, audience=public, type=faq, services=[…], language="lv")``."""

    def make(
        title: str,
        *,
        body: str = "",
        audience: str = Audience.PUBLIC,
        type: str = ArticleType.FAQ,
        services: list[Service] | None = None,
        language: str = "lv",
        **text: Any,
    ) -> Article:
        revision = kops.create_article(
            actor=superuser,
            institution=institution,
            settings=kops.ArticleSettings(type=type, audience=audience, services=services or []),
            text=kops.ArticleText(title=title, body=body, **text),
            language=language,
        )
        kops.publish_revision(actor=superuser, revision=revision)
        return revision.article

    return make
