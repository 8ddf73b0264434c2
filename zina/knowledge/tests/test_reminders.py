"""The daily review reminders: owners of overdue and soon-due articles get one e-mail each,
in their language, and the next run is queued."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.knowledge import operations as ops
from zina.knowledge.models import Article, ArticleRevision
from zina.knowledge.tasks import send_review_reminders

pytestmark = pytest.mark.django_db


def test_owners_are_reminded_once_each_and_tomorrow_is_scheduled(
    make_user: Callable[..., User],
    institution: Institution,
    write: Callable[..., ArticleRevision],
) -> None:
    manager = make_user("zinasanas", institution, Role.KNOWLEDGE_MANAGER, email="z@vra.example.lv")
    quiet = make_user("kluss", institution, Role.SUPPORT_EXPERT, email="k@vra.example.lv")
    today = timezone.localdate()
    for title, owner, due in (
        ("Nokavēts", manager, today - timedelta(days=3)),
        ("Drīz", manager, today + timedelta(days=5)),
        ("Vēl tālu", quiet, today + timedelta(days=200)),
    ):
        draft = write(owner, title)
        ops.publish_revision(actor=manager, revision=draft)
        Article.objects.filter(pk=draft.article_id).update(review_by=due)

    sent = send_review_reminders.call()

    assert sent == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["z@vra.example.lv"]
    assert "Nokavēts" in message.body
    assert "Drīz" in message.body
    assert "Vēl tālu" not in message.body
    queued = DBTaskResult.objects.filter(
        task_path=send_review_reminders.module_path, status="READY"
    )
    assert queued.count() == 1
    send_review_reminders.call()
    assert queued.count() == 1  # never more than one future run
