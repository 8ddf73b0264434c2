"""The service status page (pieejamība): public, no login. Services and their state, one page
per service (90-day history) and per event, subscribing by e-mail (double opt-in) and
unsubscribing with one click. The feeds are in :mod:`zina.portal.status_feeds`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from zina.catalog.models import Service

from . import spam, status, status_operations


def _alternates(request: HttpRequest, service_id: int | None = None) -> list[dict[str, str]]:
    """The feeds a page advertises with <link rel="alternate">."""
    query = f"?service={service_id}" if service_id else ""
    return [
        {
            "type": "application/atom+xml",
            "href": reverse("portal:status_feed") + query,
            "title": _("Service status (Atom)"),
        },
        {
            "type": "application/json",
            "href": reverse("portal:status_json") + query,
            "title": _("Service status (JSON)"),
        },
        {
            "type": "text/calendar",
            "href": reverse("portal:status_ics") + query,
            "title": _("Planned maintenance (iCalendar)"),
        },
    ]


def status_index(request: HttpRequest) -> HttpResponse:
    snap = status.snapshot()
    return render(
        request,
        "portal/status.html",
        {
            "snap": snap,
            "alternates": _alternates(request),
            "state_labels": status.STATE_LABELS,
            "upcoming_days": status.UPCOMING_DAYS,
            "history_days": status.HISTORY_DAYS,
        },
    )


def status_service(request: HttpRequest, pk: int) -> HttpResponse:
    snap = status.snapshot()
    item = snap.service(pk)
    if item is None:
        raise Http404
    return render(
        request,
        "portal/status_service.html",
        {
            "snap": snap,
            "item": item,
            "availability": item.availability(snap.now),
            "history_days": status.HISTORY_DAYS,
            "upcoming_days": status.UPCOMING_DAYS,
            "alternates": _alternates(request, pk),
            "form": SubscribeForm(initial={"services": [pk]}, single=item.service),
        },
    )


def status_event(request: HttpRequest, pk: int) -> HttpResponse:
    event = status.event(pk)
    if event is None:
        raise Http404
    return render(
        request,
        "portal/status_event.html",
        {
            "event": event,
            "updates": status.updates(event),
            "causes": status.cause_articles(event),
            "alternates": _alternates(request),
        },
    )


class SubscribeForm(forms.Form):
    """E-mail and the services to hear about; a honeypot and a fill-time stamp against bots."""

    email = forms.EmailField(
        label=gettext_lazy("E-mail address"),
        max_length=254,
        help_text=gettext_lazy("We will send a link to confirm the subscription."),
    )
    services = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Services"),
        queryset=Service.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one service.")},
    )
    website = forms.CharField(
        required=False,
        label=gettext_lazy("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    stamp = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, single: Service | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["services"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Service.objects.visible_to(status.AnonymousUser())
        if single is not None:
            field.widget = forms.MultipleHiddenInput()
        self.fields["stamp"].initial = spam.form_stamp()


@require_http_methods(["GET", "POST"])
def status_subscribe(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = SubscribeForm(request.POST)
        code = 400
        if spam.honeypot_filled(request.POST) or spam.filled_too_fast(request.POST.get("stamp")):
            form.is_valid()
            form.add_error(None, _("Please wait a moment and send the form again."))
        elif form.is_valid():
            try:
                status_operations.subscribe(
                    email=form.cleaned_data["email"],
                    services=form.cleaned_data["services"],
                    language=translation.get_language() or "lv",
                    address=request,
                )
            except status_operations.RateLimited:
                code = 429
                form.add_error(None, _("Too many requests. Try again in an hour."))
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                # The same answer whatever the address: nobody learns who is subscribed.
                messages.success(
                    request,
                    _(
                        "Check your e-mail: open the link we sent to confirm the subscription. "
                        "Nothing else is sent until you do."
                    ),
                )
                return redirect("portal:status_subscribe")
        return render(request, "portal/status_subscribe.html", {"form": form}, status=code)
    initial = [int(v) for v in request.GET.getlist("service") if v.isdigit()]
    form = SubscribeForm(initial={"services": initial})
    return render(request, "portal/status_subscribe.html", {"form": form})


@require_http_methods(["GET", "POST"])
def status_confirm(request: HttpRequest, signed: str) -> HttpResponse:
    """GET shows a button (mail scanners follow links; they must not confirm); POST confirms."""
    try:
        email, ids = status_operations.read_confirmation(signed)
    except ValidationError as exc:
        return render(request, "portal/status_confirm.html", {"error": exc.messages[0]}, status=400)
    if request.method == "POST":
        try:
            subs = status_operations.confirm(signed=signed)
        except ValidationError as exc:
            return render(
                request, "portal/status_confirm.html", {"error": exc.messages[0]}, status=400
            )
        return render(request, "portal/status_confirm.html", {"confirmed": subs})
    pending = list(
        status_operations.StatusSubscription.objects.filter(pk__in=ids, email=email)
        .select_related("service")
        .order_by("service__name")
    )
    return render(request, "portal/status_confirm.html", {"pending": pending})


@csrf_exempt  # RFC 8058: mail providers POST here without cookies; the token is the secret
@require_http_methods(["GET", "POST"])
def status_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET lists the address's subscriptions with buttons; POST unsubscribes (one click from
    the mail client sends ``List-Unsubscribe=One-Click``: every service)."""
    subs = status_operations.subscriptions_of(token)
    if request.method == "POST":
        raw = request.POST.get("service", "")
        service_id = int(raw) if raw.isdigit() else None
        removed = status_operations.unsubscribe(token=token, service_id=service_id)
        gone = {s.pk for s in removed}
        remaining = [s for s in subs if s.service_id not in gone]
        return render(
            request,
            "portal/status_unsubscribe.html",
            {
                "removed": removed,
                "subs": remaining,
                "token": remaining[0].token if remaining else token,
                "done": True,
            },
        )
    return render(
        request,
        "portal/status_unsubscribe.html",
        {"subs": subs, "token": token, "done": False},
        status=200 if subs else 404,
    )
