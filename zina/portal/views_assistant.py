"""The virtual assistant's pages: the chat page, the widget other pages include, "Did this
help?", and the request made from the conversation.

Every action works twice: with htmx (the conversation partial comes back and replaces
itself) and as a plain form without JavaScript (POST, redirect, GET of the page). The
visitor's conversation is found by the session's key kept in their Django session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zina.accounts.models import Institution
from zina.accounts.security import client_address
from zina.core.forms import add_operation_errors
from zina.knowledge.models import Article

from . import assistant_operations as ops
from . import spam
from .assistant import MAX_QUESTION, article_url
from .models import AssistantSession, AssistantTurn

SESSION_KEY = "zina_assistant"
PAGE = "portal:assistant"
BOXES = {"page": "assistant-conversation", "widget": "assistant-widget"}


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _box(request: HttpRequest) -> str:
    return "widget" if request.POST.get("box") == "widget" else "page"


def current_session(request: HttpRequest) -> AssistantSession | None:
    key = request.session.get(SESSION_KEY)
    if not isinstance(key, str) or not key:
        return None
    return AssistantSession.objects.filter(key=key).select_related("ticket").first()


@dataclass
class TurnView:
    """One turn as the page shows it: only what is public now."""

    turn: AssistantTurn
    title: str = ""
    url: str = ""
    alternatives: list[dict[str, Any]] = field(default_factory=list)
    withdrawn: bool = False  # answered from an article that is no longer public

    @property
    def answered(self) -> bool:
        return bool(self.url)

    @property
    def rateable(self) -> bool:
        return self.answered and self.turn.helpful is None


def _turn_views(turns: list[AssistantTurn]) -> list[TurnView]:
    ids: set[int] = {t.article_id for t in turns if t.article_id}
    ids |= {a["id"] for t in turns for a in t.alternatives if isinstance(a, dict) and a.get("id")}
    language = translation.get_language()
    public = {
        a.pk: a
        for a in Article.objects.visible_to(AnonymousUser())
        .filter(pk__in=ids)
        .prefetch_related("revisions")
    }

    def title(pk: int) -> str:
        live = public[pk].live_revision(language)
        return live.title if live else ""

    out = []
    for turn in turns:
        view = TurnView(turn=turn)
        if turn.article_id in public:
            view.title, view.url = title(turn.article_id), article_url(turn.article_id)
            view.alternatives = [
                {"title": title(a["id"]), "url": article_url(a["id"])}
                for a in turn.alternatives
                if isinstance(a, dict) and a.get("id") in public
            ]
        elif turn.article_id:
            view.withdrawn = True
        out.append(view)
    return out


def _context(
    request: HttpRequest,
    session: AssistantSession | None,
    *,
    box: str = "page",
    errors: list[str] | None = None,
    question: str = "",
) -> dict[str, Any]:
    turns = _turn_views(list(session.turns.all())) if session else []
    last = turns[-1] if turns else None
    escalated = session is not None and session.outcome == AssistantSession.Outcome.ESCALATED
    offer = (
        last is not None
        and not escalated
        and (not last.answered or not last.turn.confident or last.turn.helpful is False)
    )
    return {
        "session": session,
        "turns": turns,
        "offer": offer,
        "escalated": escalated,
        "box": box,
        "box_id": BOXES[box],
        "errors": errors or [],
        "question": question,
        "max_question": MAX_QUESTION,
    }


def _respond(
    request: HttpRequest, session: AssistantSession | None, *, status: int = 200, **extra: Any
) -> HttpResponse:
    """The conversation partial for htmx; otherwise the whole page (errors) or a redirect
    to it (success: POST/redirect/GET)."""
    box = _box(request)
    context = _context(request, session, box=box, **extra)
    if _htmx(request):
        return render(request, "portal/assistant_conversation.html", context)
    if extra.get("errors"):
        return render(request, "portal/assistant.html", context, status=status)
    return redirect(reverse(PAGE) + "#" + BOXES["page"])


@require_GET
def assistant(request: HttpRequest) -> HttpResponse:
    """The chat page (virtuālais asistents)."""
    return render(request, "portal/assistant.html", _context(request, current_session(request)))


@require_POST
def ask(request: HttpRequest) -> HttpResponse:
    session = current_session(request)
    question = request.POST.get("question", "")
    if spam.honeypot_filled(request.POST):
        return _respond(request, session, status=400, errors=[_("Your question was not sent.")])
    try:
        turn = ops.ask(
            session=session,
            question=question,
            language=translation.get_language() or "lv",
            address=client_address(request),
            user=request.user,
        )
    except ops.RateLimited as exc:
        return _respond(request, session, status=429, errors=exc.messages, question=question)
    except ValidationError as exc:
        return _respond(
            request, session, status=400, errors=exc.messages, question=question[:MAX_QUESTION]
        )
    request.session[SESSION_KEY] = turn.session.key
    return _respond(request, turn.session)


@require_POST
def rate(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Did this help?" — yes or no, for a turn of the visitor's own conversation."""
    session = current_session(request)
    turn = session.turns.filter(pk=pk).first() if session else None
    if turn is None:
        raise Http404
    answer = request.POST.get("helpful")
    if answer in ("yes", "no"):
        ops.rate(turn=turn, helpful=answer == "yes", address=client_address(request))
    session = current_session(request)
    return _respond(request, session)


@require_POST
def restart(request: HttpRequest) -> HttpResponse:
    """Start a new conversation (the old one stays recorded)."""
    request.session.pop(SESSION_KEY, None)
    if _htmx(request):
        return render(request, "portal/assistant_conversation.html", _context(request, None))
    return redirect(PAGE)


class RequestForm(forms.Form):
    """Turning the conversation into a request: who to answer, and where it goes."""

    kind = forms.ChoiceField(
        label=gettext_lazy("What is it?"),
        choices=[
            ("request", gettext_lazy("A question or a request")),
            ("incident", gettext_lazy("Something does not work")),
        ],
        initial="request",
        widget=forms.RadioSelect,
    )
    institution = forms.ModelChoiceField(
        label=gettext_lazy("Institution"), queryset=Institution.objects.none()
    )
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=300)
    details = forms.CharField(
        label=gettext_lazy("Anything to add (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=200)
    email = forms.EmailField(
        label=gettext_lazy("E-mail"),
        required=False,
        help_text=gettext_lazy("Give an e-mail address or a phone number, so we can answer."),
    )
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["institution"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Institution.objects.filter(is_active=True).order_by("name")
        self.fields["email"].widget.attrs["aria-describedby"] = "id_email_helptext"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("email") and not (data.get("phone") or "").strip():
            self.add_error("email", _("Give an e-mail address or a phone number."))
        return data


@require_http_methods(["GET", "POST"])
def make_request(request: HttpRequest) -> HttpResponse:
    """The request prefilled with the conversation: the question as its subject, the whole
    transcript in its description; it becomes a level-1 ticket."""
    session = current_session(request)
    if session is None or not session.turns.exists():
        return redirect(PAGE)
    if session.outcome == AssistantSession.Outcome.ESCALATED:
        return redirect(PAGE)
    initial: dict[str, Any] = {"subject": ops.default_subject(session)}
    institution = ops.default_institution(session)
    if institution is not None:
        initial["institution"] = institution.pk
    form = RequestForm(request.POST or None, initial=initial)
    if request.method == "POST":
        refused = spam.honeypot_filled(request.POST) or spam.filled_too_fast(
            request.POST.get("stamp")
        )
        if refused:
            form.is_valid()
            form.add_error(None, _("Please check the form and send it again."))
        elif form.is_valid():
            data = form.cleaned_data
            try:
                ticket = ops.escalate(
                    session=session,
                    data=ops.RequestData(
                        institution=data["institution"],
                        subject=data["subject"],
                        details=data["details"],
                        kind=data["kind"],
                        name=data["name"],
                        email=data["email"],
                        phone=data["phone"],
                    ),
                    address=client_address(request),
                )
            except ValidationError as exc:
                add_operation_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Your request %(reference)s has been registered.")
                    % {"reference": ticket.reference},
                )
                return HttpResponseRedirect(reverse(PAGE) + "#" + BOXES["page"])
    return render(
        request,
        "portal/assistant_request.html",
        {
            "form": form,
            "stamp": spam.form_stamp(),
            "honeypot": spam.HONEYPOT_FIELD,
            "transcript": ops.transcript(session),
        },
        status=400 if form.errors else 200,
    )
