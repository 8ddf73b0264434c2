"""Files of a ticket: attached by staff or by the reporter, served only to those who may see
them (internal files only to staff), never from a public URL."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zina.accounts.views import AuthedRequest
from zina.core.permissions import require

from .. import operations as ops
from ..forms import AttachmentForm
from ..models import Ticket, TicketAttachment
from .common import flash_form, flash_validation


@login_required
@require_POST
def attach(request: AuthedRequest, pk: int) -> HttpResponse:
    ticket = get_object_or_404(Ticket.objects.visible_to(request.user), pk=pk)
    require(request.user, "comment", ticket)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        flash_form(request, form)
        return redirect(ticket)
    try:
        ops.attach_file(
            actor=request.user,
            ticket=ticket,
            upload=form.cleaned_data["upload"],
            internal=form.cleaned_data["internal"],
        )
    except ValidationError as exc:
        flash_validation(request, exc)
    else:
        messages.success(request, _("File attached."))
    return redirect(ticket)


def download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(TicketAttachment.objects.visible_to(request.user), pk=pk)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
