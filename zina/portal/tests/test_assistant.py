"""The virtual assistant: answering from public articles (passages, alternatives, the
confidence rule), its operations (ask, rate, escalate) and its pages, with htmx and without
JavaScript."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser
from django.core import mail, signing
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from zina.accounts.models import Institution, User
from zina.core.models import AuditEvent
from zina.knowledge import operations as knowledge_ops
from zina.knowledge.choices import Audience
from zina.knowledge.models import Article
from zina.portal import assistant, spam
from zina.portal import assistant_operations as ops
from zina.portal.models import AssistantSession, AssistantTurn, Deflection, PortalHit
from zina.tickets.choices import Channel, Kind, Level
from zina.tickets.models import Ticket

PAGE = reverse("portal:assistant")
ASK = reverse("portal:assistant_ask")
REQUEST = reverse("portal:assistant_request")
HTMX = {"HTTP_HX_REQUEST": "true"}
SECRET = "SLEPENAISKODS4711"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are asserted in English (the source language)."""
    with translation.override("en"):
        yield


def publish(
    actor: User,
    institution: Institution,
    title: str,
    *,
    audience: str = Audience.PUBLIC,
    language: str = "lv",
    **text: str,
) -> Article:
    revision = knowledge_ops.create_article(
        actor=actor,
        institution=institution,
        settings=knowledge_ops.ArticleSettings(audience=audience),
        text=knowledge_ops.ArticleText(title=title, **text),
        language=language,
    )
    knowledge_ops.publish_revision(actor=actor, revision=revision)
    return revision.article


@pytest.fixture
def articles(superuser: User, institution: Institution) -> dict[str, Article]:
    return {
        "password": publish(
            superuser,
            institution,
            "Paroles atjaunošana e-pakalpojumu portālā",
            symptoms="Nevaru pieslēgties portālam, jo esmu aizmirsis paroli.",
            resolution=(
                "Atveriet pieslēgšanās lapu un izvēlieties „Aizmirsu paroli”.\n\n"
                "Ievadiet savu e-pasta adresi: uz to nosūtīsim saiti paroles maiņai, kas derīga "
                "24 stundas.\n\n"
                "Ja e-pasta vēstule nepienāk 15 minūšu laikā, pārbaudiet mēstuļu mapi un "
                "pārliecinieties, ka adrese ierakstīta pareizi."
            ),
            body="Paroli var nomainīt arī profila iestatījumos pēc pieslēgšanās.",
        ),
        "declaration": publish(
            superuser,
            institution,
            "Dzīvesvietas deklarēšana tiešsaistē",
            resolution=(
                "Dzīvesvietu var deklarēt e-pakalpojumā, pieslēdzoties ar internetbanku vai "
                "eParakstu.\n\nApliecinājumu par deklarēšanu nosūtīsim uz e-pastu."
            ),
        ),
        "login": publish(
            superuser,
            institution,
            "Pieslēgšanās ar eParakstu",
            resolution="Pieslēdzoties ar eParakstu, izvēlieties „eParaksts mobile”.",
            body="Ja pieslēgšanās neizdodas, pārbaudiet, vai eParaksts ir aktivizēts.",
        ),
        "english": publish(
            superuser,
            institution,
            "Resetting your password",
            language="en",
            symptoms="You cannot sign in because you forgot your password.",
            resolution=(
                "Open the sign-in page and choose **Forgot password**.\n\n"
                "If the reset e-mail does not arrive within 15 minutes, check your spam folder."
            ),
        ),
        "internal": publish(
            superuser,
            institution,
            "E-pasta vēstule nepienāk: paroles maiņas saite (iekšējai lietošanai)",
            audience=Audience.INTERNAL,
            resolution=(
                f"Ja e-pasta vēstule ar paroles maiņas saiti nepienāk, atiestatiet paroli "
                f"administrēšanas rīkā ar kodu {SECRET}."
            ),
        ),
    }


def visitor(address: str = "203.0.113.5") -> Client:
    client = Client(REMOTE_ADDR=address)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"  # messages asserted in English
    return client


def shown_a_minute_ago() -> str:
    """The signed stamp of a form shown a minute ago (a person's pace)."""
    return signing.dumps(time.time() - 60, salt=spam.STAMP_SALT)


def page_text(response: Any) -> str:
    return response.content.decode()


# --- Answering -------------------------------------------------------------------------------


def test_plain_text_strips_markup_and_keeps_list_lines() -> None:
    text = assistant.plain_text(
        "**Svarīgi**: <script>alert(1)</script> [saite](javascript:alert(1))\n\n- pirmais\n- otrais"
    )
    assert "<" not in text
    assert "script" not in text.lower().replace("alert(1)", "")
    assert "Svarīgi" in text
    assert "– pirmais\n– otrais" in text


def test_long_paragraphs_are_cut_at_sentence_ends() -> None:
    sentence = "Šis ir diezgan garš teikums par paroles maiņu portālā. "
    pieces = assistant._pieces((sentence * 30).strip())
    assert len(pieces) > 1
    assert all(len(p) <= assistant.PASSAGE_CHARS for p in pieces)
    assert all(p.endswith(".") for p in pieces)


def test_latvian_without_diacritics_finds_the_right_passage(
    articles: dict[str, Article],
) -> None:
    reply = assistant.answer("epasta vestule nepienak, ko lai dara?")
    assert reply.article == articles["password"]
    assert reply.passage.startswith("Ja e-pasta vēstule nepienāk 15 minūšu laikā")
    assert reply.confident
    assert reply.url == assistant.article_url(articles["password"].pk)


def test_symptoms_choose_the_article_and_the_resolution_answers(
    articles: dict[str, Article],
) -> None:
    reply = assistant.answer("aizmirsu paroli, nevaru pieslegties portalam")
    assert reply.article == articles["password"]
    # The symptoms matched best; the answer is what to do.
    assert reply.passage.startswith("Atveriet pieslēgšanās lapu")
    assert reply.confident


def test_english_question(articles: dict[str, Article]) -> None:
    reply = assistant.answer("the reset email does not arrive")
    assert reply.article == articles["english"]
    assert reply.language == "en"
    assert reply.passage == (
        "If the reset e-mail does not arrive within 15 minutes, check your spam folder."
    )
    assert reply.confident


def test_alternatives_are_other_public_articles(articles: dict[str, Article]) -> None:
    reply = assistant.answer("pieslēgšanās eParaksts")
    assert reply.article == articles["login"]
    ids = [a.pk for a in reply.alternatives]
    assert 1 <= len(ids) <= assistant.ALTERNATIVES
    assert reply.article.pk not in ids
    public = set(Article.objects.visible_to(AnonymousUser()).values_list("pk", flat=True))
    assert set(ids) <= public


def test_internal_article_is_never_used(articles: dict[str, Article]) -> None:
    question = "e-pasta vēstule ar paroles maiņas saiti nepienāk, atiestatīt administrēšanas rīkā"
    reply = assistant.answer(question)
    internal = articles["internal"]
    assert reply.article is not None
    assert reply.article != internal
    assert internal.pk not in [a.pk for a in reply.alternatives]
    assert SECRET not in reply.passage
    assert "iekšējai" not in reply.title


def test_nothing_public_matches() -> None:
    reply = assistant.answer("traktortehnikas reģistrācija")
    assert reply.article is None
    assert not reply.confident
    assert reply.passage == ""


def signals(**changes: Any) -> assistant.Signals:
    base: dict[str, Any] = {
        "words": 3,
        "coverage": 1.0,
        "passage_matched": True,
        "top": 10.0,
        "second": 5.0,
        "second_coverage": 0.5,
        "approximate": False,
    }
    return assistant.Signals(**{**base, **changes})


@pytest.mark.parametrize(
    ("changes", "confident"),
    [
        ({}, True),
        ({"second": None}, True),
        ({"approximate": True}, False),  # only a fuzzy spelling matched
        ({"words": 0}, False),  # nothing but stop words
        ({"coverage": 0.5}, False),  # below MIN_COVERAGE
        ({"coverage": 0.6}, True),
        ({"passage_matched": False}, False),  # title or keywords only
        ({"second": 9.5, "second_coverage": 1.0}, False),  # a close runner-up, as good
        ({"second": 9.5, "second_coverage": 0.67}, True),  # close, but covers less
        ({"second": 9.0, "second_coverage": 1.0}, True),  # 10 % ahead
    ],
)
def test_confidence_rule(changes: dict[str, Any], confident: bool) -> None:
    assert assistant.is_confident(signals(**changes)) is confident


def test_a_vague_question_is_not_confident(articles: dict[str, Article]) -> None:
    # One word of four is in any article: a guess, offered with a request.
    reply = assistant.answer("pensija apgādnieks kompensācija parole")
    assert reply.article is not None
    assert not reply.confident


# --- Operations --------------------------------------------------------------------------------


def test_ask_records_the_session_and_turn(articles: dict[str, Article]) -> None:
    turn = ops.ask(
        session=None, question="  epasta vestule\x00 nepienak ", language="lv", address="10.0.0.1"
    )
    assert turn.question == "epasta vestule nepienak"
    assert turn.article == articles["password"]
    assert turn.confident
    assert turn.answer.startswith("Ja e-pasta vēstule")
    session = turn.session
    assert session.outcome == AssistantSession.Outcome.OPEN
    assert session.language == "lv"
    assert session.user is None
    assert session.address_hash == spam.hashed_address("10.0.0.1") != "10.0.0.1"
    again = ops.ask(session=session, question="parole", language="lv", address="10.0.0.1")
    assert again.session == session
    assert session.turns.count() == 2


def test_question_length_and_emptiness() -> None:
    with pytest.raises(ValidationError) as empty:
        ops.ask(session=None, question="   ", language="lv", address="10.0.0.1")
    assert "question" in empty.value.message_dict
    with pytest.raises(ValidationError) as long:
        ops.ask(
            session=None,
            question="a" * (assistant.MAX_QUESTION + 1),
            language="lv",
            address="10.0.0.1",
        )
    assert "500" in long.value.message_dict["question"][0]
    assert AssistantTurn.objects.count() == 0


def test_questions_are_rate_limited_per_address(
    settings: Any, articles: dict[str, Article]
) -> None:
    settings.ZINA_ASSISTANT_QUESTIONS_PER_HOUR = 2
    for _ in range(2):
        ops.ask(session=None, question="parole", language="lv", address="10.0.0.1")
    with pytest.raises(ops.RateLimited):
        ops.ask(session=None, question="parole", language="lv", address="10.0.0.1")
    # Another address is not affected.
    ops.ask(session=None, question="parole", language="lv", address="10.0.0.2")
    assert PortalHit.objects.filter(action=ops.ASK_ACTION).count() == 3
    assert not PortalHit.objects.filter(address_hash__contains="10.0.0").exists()


def test_yes_records_helped_and_a_deflection(articles: dict[str, Article]) -> None:
    turn = ops.ask(session=None, question="epasta vestule nepienak", language="lv", address=None)
    ops.rate(turn=turn, helpful=True)
    ops.rate(turn=turn, helpful=True)  # once only
    turn.refresh_from_db()
    assert turn.helpful is True
    assert turn.session.outcome == AssistantSession.Outcome.HELPED
    deflection = Deflection.objects.get()
    assert deflection.source == Deflection.Source.ASSISTANT
    assert deflection.article == articles["password"]
    assert deflection.institution == articles["password"].institution
    assert deflection.query == "epasta vestule nepienak"


def test_no_then_a_request_becomes_a_level_1_ticket_with_the_transcript(
    articles: dict[str, Article], institution: Institution
) -> None:
    turn = ops.ask(session=None, question="epasta vestule nepienak", language="lv", address=None)
    ops.rate(turn=turn, helpful=False)
    session = AssistantSession.objects.get()
    assert session.outcome == AssistantSession.Outcome.NOT_HELPED
    assert ops.default_institution(session) == institution
    ticket = ops.escalate(
        session=session,
        data=ops.RequestData(
            institution=institution,
            subject=ops.default_subject(session),
            details="Pārbaudīju arī mēstuļu mapi.",
            name="Anna Bērziņa",
            email="anna@example.lv",
        ),
        address="10.0.0.1",
    )
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.kind == Kind.REQUEST
    assert ticket.level == Level.FIRST
    assert ticket.channel == Channel.ASSISTANT
    assert ticket.subject == "epasta vestule nepienak"
    assert ticket.reporter_email == "anna@example.lv"
    assert ticket.reporter_name == "Anna Bērziņa"
    assert ticket.description.startswith("Pārbaudīju arī mēstuļu mapi.")
    # (The session was in Latvian: the transcript's labels are in the Latvian catalogue.)
    assert "epasta vestule nepienak" in ticket.description
    assert "Ja e-pasta vēstule nepienāk 15 minūšu laikā" in ticket.description
    assert "Paroles atjaunošana e-pakalpojumu portālā" in ticket.description
    assert SECRET not in ticket.description
    session.refresh_from_db()
    assert session.outcome == AssistantSession.Outcome.ESCALATED
    assert session.ticket == ticket
    assert AuditEvent.objects.filter(verb="ticket.opened", object_id=str(ticket.pk)).exists()
    with pytest.raises(ValidationError):
        ops.escalate(
            session=session,
            data=ops.RequestData(institution=institution, subject="x", email="a@example.lv"),
            address="10.0.0.1",
        )
    assert Ticket.objects.count() == 1


def test_the_transcript_leaves_out_an_article_that_is_no_longer_public(
    superuser: User, articles: dict[str, Article], institution: Institution
) -> None:
    turn = ops.ask(session=None, question="epasta vestule nepienak", language="en", address=None)
    knowledge_ops.archive_article(actor=superuser, article=articles["password"])
    text = ops.transcript(turn.session)
    assert "Question: epasta vestule nepienak" in text
    assert "no longer public" in text
    assert "vēstule nepienāk 15" not in text
    assert "Paroles atjaunošana" not in text


def test_an_escalated_conversation_ends_and_a_new_question_starts_another(
    articles: dict[str, Article], institution: Institution
) -> None:
    turn = ops.ask(session=None, question="parole", language="lv", address=None)
    ops.escalate(
        session=turn.session,
        data=ops.RequestData(institution=institution, subject="Parole", phone="+37120000000"),
        address=None,
    )
    later = ops.ask(session=turn.session, question="parole", language="lv", address=None)
    assert later.session != turn.session


# --- Pages -------------------------------------------------------------------------------------


def test_page_is_public_and_has_the_form() -> None:
    response = visitor().get(PAGE)
    assert response.status_code == 200
    html = page_text(response)
    assert 'action="/portal/assistant/ask/"' in html
    assert 'hx-post="/portal/assistant/ask/"' in html
    assert 'name="question"' in html


def test_no_javascript_round_trip(
    articles: dict[str, Article], django_capture_on_commit_callbacks: Any
) -> None:
    client = visitor()
    response = client.post(ASK, {"question": "epasta vestule nepienak"})
    assert response.status_code == 302
    assert response["Location"].startswith(PAGE)
    html = page_text(client.get(PAGE))
    assert "epasta vestule nepienak" in html
    assert "Ja e-pasta vēstule nepienāk 15 minūšu laikā" in html
    assert f'href="{assistant.article_url(articles["password"].pk)}"' in html
    assert "Did this help?" in html
    turn = AssistantTurn.objects.get()
    # "No" (plain form) → the offer of a request → the form, prefilled → a ticket.
    response = client.post(reverse("portal:assistant_rate", args=[turn.pk]), {"helpful": "no"})
    assert response.status_code == 302
    html = page_text(client.get(PAGE))
    assert "Sorry that it did not help." in html
    assert f'href="{REQUEST}"' in html
    form = page_text(client.get(REQUEST))
    assert 'value="epasta vestule nepienak"' in form
    assert "Ja e-pasta vēstule nepienāk" in form  # the transcript shown before sending
    stamp = spam.form_stamp()
    data = {
        "kind": "request",
        "institution": articles["password"].institution_id,
        "subject": "epasta vestule nepienak",
        "name": "Jānis",
        "email": "janis@example.lv",
        "stamp": stamp,
    }
    too_fast = client.post(REQUEST, data)
    assert too_fast.status_code == 400
    assert not Ticket.objects.exists()
    data["stamp"] = shown_a_minute_ago()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REQUEST, data)
    assert response.status_code == 302, page_text(response)
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.ASSISTANT
    assert ticket.level == Level.FIRST
    assert "epasta vestule nepienak" in ticket.description
    html = page_text(client.get(PAGE))
    assert ticket.reference in html
    assert mail.outbox  # the reporter hears of the reference
    assert AssistantSession.objects.get().outcome == AssistantSession.Outcome.ESCALATED


def test_htmx_returns_the_conversation_partial(articles: dict[str, Article]) -> None:
    client = visitor()
    response = client.post(ASK, {"question": "the reset email does not arrive"}, **HTMX)
    assert response.status_code == 200
    html = page_text(response)
    assert html.lstrip().startswith('<div id="assistant-conversation"')
    assert "<html" not in html
    assert "check your spam folder" in html
    turn = AssistantTurn.objects.get()
    response = client.post(
        reverse("portal:assistant_rate", args=[turn.pk]), {"helpful": "yes"}, **HTMX
    )
    assert "Glad it helped." in page_text(response)
    assert Deflection.objects.filter(source="assistant").count() == 1
    assert AssistantSession.objects.get().outcome == AssistantSession.Outcome.HELPED


def test_widget_partial(articles: dict[str, Article]) -> None:
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    html = render_to_string("portal/assistant_widget.html", request=request)
    assert 'id="assistant-widget"' in html
    assert 'name="box" value="widget"' in html
    client = visitor()
    response = client.post(ASK, {"question": "parole", "box": "widget"}, **HTMX)
    assert page_text(response).lstrip().startswith('<div id="assistant-widget"')
    # Without JavaScript the widget's question lands on the chat page.
    response = visitor("198.51.100.1").post(ASK, {"question": "parole", "box": "widget"})
    assert response.status_code == 302
    assert response["Location"].startswith(PAGE)


def test_not_confident_answer_offers_a_request(articles: dict[str, Article]) -> None:
    client = visitor()
    html = page_text(
        client.post(ASK, {"question": "pensija apgādnieks kompensācija parole"}, **HTMX)
    )
    assert "I am not sure this answers your question." in html
    assert f'href="{REQUEST}"' in html


def test_no_answer_offers_a_request() -> None:
    client = visitor()
    html = page_text(client.post(ASK, {"question": "traktortehnikas reģistrācija"}, **HTMX))
    assert "I found no public article that answers this." in html
    assert f'href="{REQUEST}"' in html


def test_internal_article_never_reaches_the_page(articles: dict[str, Article]) -> None:
    client = visitor()
    question = "e-pasta vēstule ar paroles maiņas saiti nepienāk, atiestatīt administrēšanas rīkā"
    html = page_text(client.post(ASK, {"question": question}, **HTMX))
    internal = articles["internal"]
    assert SECRET not in html
    assert "iekšējai lietošanai" not in html
    assert f'href="{assistant.article_url(internal.pk)}"' not in html
    turn = AssistantTurn.objects.get()
    assert turn.article_id != internal.pk
    assert internal.pk not in [a["id"] for a in turn.alternatives]
    assert SECRET not in turn.answer
    ops.rate(turn=turn, helpful=False)
    assert SECRET not in ops.transcript(turn.session)


def test_rate_limit_on_the_page(settings: Any, articles: dict[str, Article]) -> None:
    settings.ZINA_ASSISTANT_QUESTIONS_PER_HOUR = 1
    client = visitor()
    assert client.post(ASK, {"question": "parole"}).status_code == 302
    response = client.post(ASK, {"question": "vēl viens jautājums"})
    assert response.status_code == 429
    assert "Too many questions from your address." in page_text(response)
    htmx = client.post(ASK, {"question": "vēl viens jautājums"}, **HTMX)
    assert htmx.status_code == 200
    assert "Too many questions" in page_text(htmx)
    assert AssistantTurn.objects.count() == 1


def test_too_long_question_on_the_page() -> None:
    response = visitor().post(ASK, {"question": "a" * 501})
    assert response.status_code == 400
    assert "At most 500 characters" in page_text(response)


def test_a_turn_of_another_conversation_cannot_be_rated(articles: dict[str, Article]) -> None:
    turn = ops.ask(session=None, question="parole", language="lv", address=None)
    response = visitor().post(reverse("portal:assistant_rate", args=[turn.pk]), {"helpful": "yes"})
    assert response.status_code == 404
    assert not Deflection.objects.exists()


def test_request_page_needs_a_conversation() -> None:
    response = visitor().get(REQUEST)
    assert response.status_code == 302
    assert response["Location"] == PAGE


def test_request_form_needs_a_way_to_answer(articles: dict[str, Article]) -> None:
    client = visitor()
    client.post(ASK, {"question": "parole"})
    response = client.post(
        REQUEST,
        {
            "kind": "request",
            "institution": articles["password"].institution_id,
            "subject": "Parole",
            "name": "Jānis",
            "stamp": shown_a_minute_ago(),
        },
    )
    assert response.status_code == 400
    assert "Give an e-mail address or a phone number." in page_text(response)
    assert not Ticket.objects.exists()


def test_restart_forgets_the_conversation_but_keeps_the_record(
    articles: dict[str, Article],
) -> None:
    client = visitor()
    client.post(ASK, {"question": "parole"})
    assert client.post(reverse("portal:assistant_restart")).status_code == 302
    html = page_text(client.get(PAGE))
    assert "Start a new conversation" not in html
    assert AssistantSession.objects.count() == 1
