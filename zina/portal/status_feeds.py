"""Machine-readable status: an Atom feed of status events, a JSON document with each public
service's state and the current events (a stable shape, ``version`` 1, described in
docs/portal.md), and an iCalendar feed (RFC 5545) of planned maintenance. Each takes
``?service=<id>`` for one service."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from zina.tickets.notifications import domain

from . import status

JSON_VERSION = 1
FEED_ITEMS = 50


def selected_service(request: HttpRequest, snap: status.Snapshot) -> status.ServiceStatus | None:
    """The public service ``?service=`` names (404 for anything else), or None for all."""
    raw = request.GET.get("service")
    if raw in (None, ""):
        return None
    try:
        found = snap.service(int(raw))
    except ValueError:
        found = None
    if found is None:
        raise Http404
    return found


def _events(snap: status.Snapshot, one: status.ServiceStatus | None) -> list[status.Event]:
    events = [*snap.current, *snap.recent]
    if one is not None:
        events = [e for e in events if one.service.pk in e.impacts]
    return events


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- Atom ----------------------------------------------------------------------------------


class StatusFeed(Feed):
    """Status events, newest change first: interruptions and planned maintenance."""

    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        snap = status.snapshot()
        return snap, selected_service(request, snap)

    def title(self, obj: Any) -> str:
        _snap, one = obj
        if one is not None:
            return _("Service status: %(service)s") % {"service": one.service.name}
        return _("Service status")

    def subtitle(self, obj: Any) -> str:
        return _("Availability interruptions and planned maintenance of public services.")

    def link(self, obj: Any) -> str:
        _snap, one = obj
        if one is not None:
            return reverse("portal:status_service", args=[one.service.pk])
        return reverse("portal:status")

    def feed_url(self, obj: Any) -> str:
        _snap, one = obj
        url = reverse("portal:status_feed")
        return f"{url}?service={one.service.pk}" if one is not None else url

    def items(self, obj: Any) -> list[status.Event]:
        snap, one = obj
        events = sorted(_events(snap, one), key=lambda e: e.updated_at, reverse=True)
        return events[:FEED_ITEMS]

    def item_title(self, item: status.Event) -> str:
        return f"{item.type_label}: {item.title} ({item.phase_label})"

    def item_description(self, item: status.Event) -> str:
        return describe(item)

    def item_link(self, item: status.Event) -> str:
        return reverse("portal:status_event", args=[item.pk])

    def item_guid(self, item: status.Event) -> str:
        return f"tag:{domain()},2026:status-event-{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: status.Event) -> datetime:
        return item.ticket.created_at

    def item_updateddate(self, item: status.Event) -> datetime:
        return item.updated_at

    def item_categories(self, item: status.Event) -> list[str]:
        return [item.type, item.phase]


def describe(event: status.Event) -> str:
    """One plain-text paragraph about an event (feeds and calendars)."""
    from django.utils import formats, timezone

    def local(value: datetime) -> str:
        return str(formats.date_format(timezone.localtime(value), "DATETIME_FORMAT"))

    parts = [_("Services: %(names)s.") % {"names": ", ".join(s.name for s in event.services)}]
    if event.is_planned:
        parts.append(
            _("Planned from %(start)s to %(end)s.")
            % {"start": local(event.start), "end": local(event.end or event.start)}
        )
        if event.expected_downtime_minutes:
            parts.append(
                _("Expected downtime: %(minutes)s min.")
                % {"minutes": event.expected_downtime_minutes}
            )
    else:
        parts.append(_("Since %(start)s.") % {"start": local(event.start)})
        if event.end is not None and event.ended:
            parts.append(_("Until %(end)s.") % {"end": local(event.end)})
    if event.description:
        parts.append(event.description)
    if event.resolution:
        parts.append(_("Result: %(text)s") % {"text": event.resolution})
    return " ".join(parts)


# --- JSON ----------------------------------------------------------------------------------


def event_json(request: HttpRequest, event: status.Event) -> dict[str, Any]:
    return {
        "id": event.pk,
        "reference": event.reference,
        "type": event.type,
        "phase": event.phase,
        "title": event.title,
        "start": _iso(event.start),
        "end": _iso(event.end),
        "expected_downtime_minutes": event.expected_downtime_minutes,
        "services": [{"id": sid, "impact": impact} for sid, impact in event.impacts.items()],
        "url": request.build_absolute_uri(reverse("portal:status_event", args=[event.pk])),
        "updated_at": _iso(event.updated_at),
    }


def service_json(request: HttpRequest, item: status.ServiceStatus, now: datetime) -> dict[str, Any]:
    service = item.service
    availability = item.availability(now)
    return {
        "id": service.pk,
        "identifier": service.identifier,
        "name": service.name,
        "name_en": service.name_en,
        "institution": service.institution.name,
        "state": item.state,
        "url": request.build_absolute_uri(reverse("portal:status_service", args=[service.pk])),
        "events": [e.pk for e in item.events],
        "availability": {
            "days": availability.days,
            "percent": availability.percent,
            "target": float(availability.target) if availability.target is not None else None,
            "interrupted_minutes": availability.interrupted_minutes,
            "degraded_minutes": availability.degraded_minutes,
            "maintenance_minutes": availability.maintenance_minutes,
        },
    }


def status_json(request: HttpRequest) -> JsonResponse:
    """``/portal/status.json``: version 1 — see docs/portal.md for the shape."""
    snap = status.snapshot()
    one = selected_service(request, snap)
    services = [one] if one is not None else snap.services
    current = [e for e in snap.current if one is None or one.service.pk in e.impacts]
    response = JsonResponse(
        {
            "version": JSON_VERSION,
            "generated_at": _iso(snap.now),
            "page": request.build_absolute_uri(reverse("portal:status")),
            "states": list(status.SEVERITY),
            "services": [service_json(request, s, snap.now) for s in services],
            "events": [event_json(request, e) for e in current],
        },
        json_dumps_params={"ensure_ascii": False},
    )
    response["Access-Control-Allow-Origin"] = "*"  # public data, for other sites' widgets
    response["Cache-Control"] = "public, max-age=60"
    return response


# --- iCalendar -----------------------------------------------------------------------------


def ical_escape(text: str) -> str:
    """RFC 5545 TEXT: backslash, semicolon, comma and newlines escaped; other controls go."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(c for c in text if c == "\n" or c == "\t" or ord(c) >= 32)
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def ical_fold(line: str) -> str:
    """Fold a content line into pieces of at most 75 octets (continuations start with a
    space), never splitting a UTF-8 character; pieces are joined with CRLF."""
    out: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ical(events: list[status.Event], name: str, request: HttpRequest, now: datetime) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Zina//Service status//LV",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{ical_escape(name)}",
    ]
    for event in events:
        ticket = event.ticket
        url = request.build_absolute_uri(reverse("portal:status_event", args=[event.pk]))
        lines += [
            "BEGIN:VEVENT",
            f"UID:change-{event.pk}@{domain()}",
            f"DTSTAMP:{_utc(now)}",
            f"LAST-MODIFIED:{_utc(ticket.updated_at)}",
            f"SEQUENCE:{ticket.version}",
            f"DTSTART:{_utc(event.start)}",
            f"DTEND:{_utc(event.end or event.start)}",
            f"SUMMARY:{ical_escape(_('Planned maintenance') + ': ' + event.title)}",
            f"DESCRIPTION:{ical_escape(describe(event) + chr(10) + url)}",
            f"URL:{url}",
            "STATUS:CONFIRMED",
            "TRANSP:OPAQUE",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(ical_fold(line) + "\r\n" for line in lines)


def status_ics(request: HttpRequest) -> HttpResponse:
    """Planned maintenance (scheduled, under way, and done in the last 90 days) as a
    calendar to subscribe to."""
    snap = status.snapshot()
    one = selected_service(request, snap)
    events = sorted(
        (
            e
            for e in snap.events.values()
            if e.is_planned and (one is None or one.service.pk in e.impacts)
        ),
        key=lambda e: e.start,
    )
    name = _("Planned maintenance")
    if one is not None:
        name = f"{name}: {one.service.name}"
    body = ical(events, name, request, snap.now)
    response = HttpResponse(body.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="maintenance.ics"'
    response["Cache-Control"] = "public, max-age=300"
    return response
