"""The knowledge pages: who sees what, the editor's conflict handling, feedback and flags,
attachments, and that user Markdown renders inert on the article page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.conftest import PASSWORD
from zina.knowledge import operations as ops
from zina.knowledge.choices import Audience
from zina.knowledge.models import (
    ArticleAttachment,
    ArticleFeedback,
    ArticleFlag,
    ArticleRevision,
    ArticleViewCount,
)

pytestmark = pytest.mark.django_db

XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">[a](javascript:alert(3))'


def client_for(user: User | None) -> Client:
    client = Client()
    client.cookies["zina_language"] = "en"
    if user is not None:
        assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def people(
    make_user: Callable[..., User], institution: Institution, other_institution: Institution
) -> dict[str, User]:
    return {
        "writer": make_user("rakstitajs", institution, Role.SUPPORT_SPECIALIST, password=PASSWORD),
        "colleague": make_user("kolega", institution, Role.SERVICE_PROVIDER, password=PASSWORD),
        "manager": make_user("zinasanas", institution, Role.KNOWLEDGE_MANAGER, password=PASSWORD),
        "outsider": make_user("cits", other_institution, Role.SUPPORT_EXPERT, password=PASSWORD),
    }


def published(people: dict[str, User], write: Callable[..., ArticleRevision], **kw: Any) -> Any:
    draft = write(people["writer"], **kw)
    ops.submit_for_review(actor=people["writer"], revision=draft)
    return ops.publish_revision(actor=people["manager"], revision=draft).article


def test_public_article_page_for_everyone_and_inert_markdown(
    people: dict[str, User], write: Callable[..., ArticleRevision]
) -> None:
    article = published(
        people, write, title="Parole", body=f"**Svarīgi** {XSS}", audience=Audience.PUBLIC
    )
    for user in (None, people["outsider"], people["colleague"]):
        response = client_for(user).get(article.get_absolute_url())
        assert response.status_code == 200
        main = response.content.decode().split("<main", 1)[1]
        assert "<strong>Svarīgi</strong>" in main
        assert "<script>alert" not in main
        assert "onerror" not in main
        assert "javascript:" not in main
    assert ArticleViewCount.objects.filter(article=article).count() == 3  # three kinds of reader
    assert 'name="helpful"' in client_for(None).get(article.get_absolute_url()).content.decode()


def test_internal_article_is_a_404_for_outsiders_and_anonymous(
    people: dict[str, User], write: Callable[..., ArticleRevision]
) -> None:
    article = published(people, write, title="Iekšējs")
    assert client_for(people["colleague"]).get(article.get_absolute_url()).status_code == 200
    assert client_for(people["outsider"]).get(article.get_absolute_url()).status_code == 404
    assert client_for(None).get(article.get_absolute_url()).status_code == 404
    listing = client_for(None).get("/knowledge/").content.decode()
    assert "Iekšējs" not in listing


def test_editor_refuses_a_stale_save_with_a_diff_and_keeps_both_texts(
    people: dict[str, User], write: Callable[..., ArticleRevision]
) -> None:
    draft = write(people["writer"], title="Melnraksts")
    url = f"/knowledge/{draft.article_id}/revisions/{draft.pk}/edit/"
    fields = {
        "symptoms": "",
        "environment": "",
        "cause": "",
        "resolution": "",
        "keywords": "",
        "version": draft.version,
    }
    first = client_for(people["writer"]).post(url, {**fields, "title": "A", "body": "pirmais"})
    assert first.status_code == 302
    second = client_for(people["colleague"]).post(url, {**fields, "title": "B", "body": "otrais"})
    assert second.status_code == 409
    page = second.content.decode()
    assert "pirmais" in page  # the diff shows what the other editor saved
    assert "otrais" in page  # and this editor's text is still in the form
    assert ArticleRevision.objects.get(pk=draft.pk).body == "pirmais"


def test_preview_is_sanitised(
    people: dict[str, User], write: Callable[..., ArticleRevision]
) -> None:
    draft = write(people["writer"])
    url = f"/knowledge/{draft.article_id}/revisions/{draft.pk}/edit/preview/"
    response = client_for(people["writer"]).post(url, {"body": f"# Virsraksts\n{XSS}"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Virsraksts" in html  # h1 is not allowed in an article (the page has one): text stays
    assert "<script" not in html
    assert "onerror" not in html
    assert "javascript:" not in html


def test_feedback_and_flags(people: dict[str, User], write: Callable[..., ArticleRevision]) -> None:
    article = published(people, write, title="Publisks", audience=Audience.PUBLIC)
    anonymous = client_for(None)
    response = anonymous.post(
        f"/knowledge/{article.pk}/feedback/",
        {"helpful": "no", "comment": "Neskaidrs"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert ArticleFeedback.objects.get(article=article).comment == "Neskaidrs"
    bot = anonymous.post(
        f"/knowledge/{article.pk}/feedback/", {"helpful": "yes", "website": "spam"}
    )
    assert bot.status_code == 302
    assert ArticleFeedback.objects.filter(article=article).count() == 1
    assert anonymous.post(f"/knowledge/{article.pk}/flag/", {"reason": "x"}).status_code == 302
    assert not ArticleFlag.objects.exists()  # anonymous readers are sent to log in
    colleague = client_for(people["colleague"])
    colleague.post(f"/knowledge/{article.pk}/flag/", {"reason": "Novecojusi saite"})
    flag = ArticleFlag.objects.get(article=article)
    work = client_for(people["writer"]).get("/knowledge/my-work/").content.decode()
    assert "Novecojusi saite" in work
    draft = ops.start_revision(actor=people["writer"], article=article)
    ops.publish_revision(actor=people["manager"], revision=draft)
    flag.refresh_from_db()
    assert flag.state == "resolved"


def test_attachments_are_type_checked_and_served_only_to_readers(
    people: dict[str, User], write: Callable[..., ArticleRevision]
) -> None:
    article = published(people, write, title="Ar pielikumu")
    writer = client_for(people["writer"])
    fake = SimpleUploadedFile("ok.pdf", b"<html><script>alert(1)</script>", "application/pdf")
    writer.post(f"/knowledge/{article.pk}/attachments/", {"upload": fake})
    assert not ArticleAttachment.objects.exists()
    real = SimpleUploadedFile("instrukcija.pdf", b"%PDF-1.4 ...", "application/pdf")
    writer.post(f"/knowledge/{article.pk}/attachments/", {"upload": real})
    attachment = ArticleAttachment.objects.get()
    url = f"/knowledge/attachments/{attachment.pk}/"
    download = client_for(people["colleague"]).get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert "attachment" in download["Content-Disposition"]
    assert client_for(people["outsider"]).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 404


def test_approval_queue_lists_what_the_user_may_publish(
    people: dict[str, User], write: Callable[..., ArticleRevision]
) -> None:
    draft = write(people["writer"], title="Gaida apstiprinājumu")
    ops.submit_for_review(actor=people["writer"], revision=draft)
    assert (
        "Gaida apstiprinājumu"
        in client_for(people["manager"]).get("/knowledge/approvals/").content.decode()
    )
    assert (
        "Gaida apstiprinājumu"
        not in client_for(people["colleague"]).get("/knowledge/approvals/").content.decode()
    )
    response = client_for(people["colleague"]).post(
        f"/knowledge/{draft.article_id}/revisions/{draft.pk}/publish/"
    )
    assert response.status_code == 403
    client_for(people["manager"]).post(
        f"/knowledge/{draft.article_id}/revisions/{draft.pk}/publish/"
    )
    assert ArticleRevision.objects.get(pk=draft.pk).is_live


def test_settings_page_changes_audience_and_refuses_widening_without_publish_rights(
    people: dict[str, User], write: Callable[..., ArticleRevision]
) -> None:
    article = published(people, write, title="Iestatījumi")
    url = f"/knowledge/{article.pk}/settings/"
    writer = client_for(people["writer"])
    assert writer.get(url).status_code == 200
    assert writer.post(url, {"type": "faq", "audience": "experts"}).status_code == 302
    article.refresh_from_db()
    assert (article.type, article.audience) == ("faq", "experts")
    manager = client_for(people["manager"])
    assert manager.post(url, {"type": "faq", "audience": "internal"}).status_code == 302
    # a level-1 writer may not make it public: that needs a publisher
    assert writer.post(url, {"type": "faq", "audience": "public"}).status_code == 403
    article.refresh_from_db()
    assert article.audience == "internal"
    page = manager.get(article.get_absolute_url()).content.decode()
    assert "Reads" in page
