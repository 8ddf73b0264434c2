"""Pages of the request management system."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from .models import Ticket


def queue(request: HttpRequest) -> HttpResponse:
    tickets = Ticket.objects.visible_to(request.user)[:50]
    return render(request, "tickets/queue.html", {"tickets": tickets})


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_object_or_404(Ticket.objects.visible_to(request.user), pk=pk)
    return render(request, "tickets/detail.html", {"ticket": ticket})
