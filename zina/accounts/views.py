"""Pages for institutions, users, roles, profile and API tokens. Thin: forms in, operations out."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zina.core.forms import add_operation_errors, paginate, submit
from zina.core.history import history_for
from zina.core.models import AuditEvent
from zina.core.permissions import can, require

from . import operations as ops
from .forms import (
    InstitutionForm,
    LoginForm,
    NewUserForm,
    RoleAssignmentForm,
    TokenForm,
    UserDataForm,
)
from .models import ApiToken, Institution, Membership, RoleAssignment, User
from .roles import ADMINISTER, VIEW_AUDIT, institutions_with


class AuthedRequest(HttpRequest):
    """A request behind ``login_required``: its user is a real ``User``."""

    user: User


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def _administered(user: Any) -> Any:
    if user.is_superuser:
        return Institution.objects.all()
    return Institution.objects.filter(pk__in=institutions_with(user, ADMINISTER))


def _institution_data(form: Any) -> ops.InstitutionData:
    return ops.InstitutionData(**{k: form.cleaned_data[k] for k in InstitutionForm.Meta.fields})


def _user_data(form: Any) -> ops.UserData:
    return ops.UserData(**{k: form.cleaned_data[k] for k in UserDataForm.Meta.fields})


# --- Institutions ------------------------------------------------------------------------


@login_required
def institution_list(request: AuthedRequest) -> HttpResponse:
    qs = Institution.objects.visible_to(request.user)
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(short_name__icontains=q))
    return render(
        request,
        "accounts/institution_list.html",
        {
            "page": paginate(request, qs),
            "q": q,
            "can_create": can(request.user, "create", Institution),
        },
    )


@login_required
def institution_detail(request: AuthedRequest, code: str) -> HttpResponse:
    institution = get_object_or_404(Institution.objects.visible_to(request.user), code=code)
    members = (
        Membership.objects.visible_to(request.user)
        .filter(institution=institution)
        .select_related("user")
    )
    assignments = (
        RoleAssignment.objects.visible_to(request.user)
        .filter(institution=institution)
        .select_related("user", "institution", "scope_type")
    )
    return render(
        request,
        "accounts/institution_detail.html",
        {
            "institution": institution,
            "members": members,
            "assignments": assignments,
            "can_change": can(request.user, "change", institution),
            "history": history_for(request.user, institution),
        },
    )


@login_required
def institution_create(request: AuthedRequest) -> HttpResponse:
    require(request.user, "create", Institution)
    form = InstitutionForm(request.POST or None)
    created = submit(
        request,
        form,
        lambda: ops.create_institution(actor=request.user, data=_institution_data(form)),
        _("Institution created."),
    )
    if created:
        return redirect(created)
    return render(request, "accounts/form.html", {"form": form, "title": _("New institution")})


@login_required
def institution_edit(request: AuthedRequest, code: str) -> HttpResponse:
    institution = get_object_or_404(Institution.objects.visible_to(request.user), code=code)
    require(request.user, "change", institution)
    form = InstitutionForm(
        request.POST or None, instance=Institution.objects.get(pk=institution.pk)
    )
    if not request.user.is_superuser:
        form.fields["code"].disabled = True
    updated = submit(
        request,
        form,
        lambda: ops.update_institution(
            actor=request.user, institution=institution, data=_institution_data(form)
        ),
        _("Changes saved."),
    )
    if updated:
        return redirect(updated)
    return render(
        request,
        "accounts/form.html",
        {"form": form, "title": _("Edit institution"), "back": institution},
    )


# --- Users -------------------------------------------------------------------------------


@login_required
def user_list(request: AuthedRequest) -> HttpResponse:
    qs = User.objects.visible_to(request.user).prefetch_related("memberships__institution")
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(
            Q(username__icontains=q)
            | Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(email__icontains=q)
        )
    return render(
        request,
        "accounts/user_list.html",
        {"page": paginate(request, qs), "q": q, "can_create": can(request.user, "create", User)},
    )


@login_required
def user_detail(request: AuthedRequest, username: str) -> HttpResponse:
    subject = get_object_or_404(User.objects.visible_to(request.user), username=username)
    administered = _administered(request.user)
    role_form = RoleAssignmentForm(institutions=administered)
    return render(
        request,
        "accounts/user_detail.html",
        _user_context(request, subject, role_form),
    )


def _user_context(request: AuthedRequest, subject: User, role_form: Any) -> dict[str, Any]:
    administered_ids = set(_administered(request.user).values_list("pk", flat=True))
    return {
        "subject": subject,
        "memberships": Membership.objects.visible_to(request.user)
        .filter(user=subject)
        .select_related("institution"),
        "assignments": RoleAssignment.objects.visible_to(request.user)
        .filter(user=subject)
        .select_related("institution", "scope_type"),
        "administered_ids": administered_ids,
        "role_form": role_form if administered_ids else None,
        "can_change": can(request.user, "change", subject),
        "can_deactivate": can(request.user, "deactivate", subject),
        "history": history_for(request.user, subject),
    }


@login_required
def user_create(request: AuthedRequest) -> HttpResponse:
    require(request.user, "create", User)
    form = NewUserForm(request.POST or None, institutions=_administered(request.user))
    user = submit(
        request,
        form,
        lambda: ops.create_user(
            actor=request.user,
            institution=form.cleaned_data["institution"],
            username=form.cleaned_data["username"],
            data=_user_data(form),
            kind=form.cleaned_data["kind"],
            title=form.cleaned_data["title"],
        ),
        _("User created. They set their password with “Forgot your password?”."),
    )
    if user:
        return redirect(user)
    return render(request, "accounts/form.html", {"form": form, "title": _("New user")})


@login_required
def user_edit(request: AuthedRequest, username: str) -> HttpResponse:
    subject = get_object_or_404(User.objects.visible_to(request.user), username=username)
    require(request.user, "change", subject)
    form = UserDataForm(request.POST or None, instance=User.objects.get(pk=subject.pk))
    if submit(
        request,
        form,
        lambda: ops.update_user(actor=request.user, user=subject, data=_user_data(form)),
        _("Changes saved."),
    ):
        return redirect(subject)
    return render(
        request, "accounts/form.html", {"form": form, "title": _("Edit user"), "back": subject}
    )


@login_required
@require_POST
def user_set_active(request: AuthedRequest, username: str) -> HttpResponse:
    subject = get_object_or_404(User.objects.visible_to(request.user), username=username)
    active = request.POST.get("active") == "1"
    ops.set_user_active(actor=request.user, user=subject, active=active)
    messages.success(request, _("User unblocked.") if active else _("User blocked."))
    return redirect("accounts:user_detail", username=subject.username)


@login_required
@require_POST
def role_assign(request: AuthedRequest, username: str) -> HttpResponse:
    subject = get_object_or_404(User.objects.visible_to(request.user), username=username)
    form = RoleAssignmentForm(request.POST, institutions=_administered(request.user))
    if submit(
        request,
        form,
        lambda: ops.assign_role(
            actor=request.user,
            user=subject,
            institution=form.cleaned_data["institution"],
            role=form.cleaned_data["role"],
            responsibility=form.cleaned_data["responsibility"],
        ),
        _("Role assigned."),
    ):
        return redirect(subject)
    return render(
        request,
        "accounts/user_detail.html",
        _user_context(request, subject, form),
        status=400,
    )


@login_required
@require_POST
def role_revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    assignment = get_object_or_404(RoleAssignment.objects.visible_to(request.user), pk=pk)
    ops.revoke_role(actor=request.user, assignment=assignment)
    messages.success(request, _("Role revoked."))
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        return redirect(back)
    return redirect("accounts:user_detail", username=assignment.user.username)


# --- Profile and tokens -----------------------------------------------------------------


@login_required
def profile(request: AuthedRequest) -> HttpResponse:
    form = UserDataForm(request.POST or None, instance=User.objects.get(pk=request.user.pk))
    me = User.objects.get(pk=request.user.pk)
    user = submit(
        request,
        form,
        lambda: ops.update_user(actor=me, user=me, data=_user_data(form)),
        _("Changes saved."),
    )
    if user:
        response = redirect("accounts:profile")
        response.set_cookie("zina_language", user.language, samesite="Lax", httponly=True)
        return response
    return render(request, "accounts/profile.html", {"form": form})


@login_required
def tokens(request: AuthedRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        expires = form.cleaned_data["expires_at"]
        expires_at = (
            timezone.make_aware(datetime.datetime.combine(expires, datetime.time.max))
            if expires
            else None
        )
        try:
            _token, secret = ops.issue_api_token(
                actor=request.user, name=form.cleaned_data["name"], expires_at=expires_at
            )
        except ValidationError as exc:
            add_operation_errors(form, exc)
        else:
            form = TokenForm()
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "secret": secret, "tokens": ApiToken.objects.visible_to(request.user)},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def token_revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.visible_to(request.user), pk=pk)
    ops.revoke_api_token(actor=request.user, token=token)
    messages.success(request, _("Token revoked."))
    return redirect("accounts:tokens")


# --- Audit -------------------------------------------------------------------------------


@login_required
def audit_list(request: AuthedRequest) -> HttpResponse:
    qs = AuditEvent.objects.visible_to(request.user).select_related("institution")
    verb = request.GET.get("verb", "").strip()
    if verb:
        qs = qs.filter(verb__startswith=verb)
    institution = request.GET.get("institution", "").strip()
    if institution:
        qs = qs.filter(institution__code=institution)
    if not request.user.is_superuser and not institutions_with(request.user, VIEW_AUDIT):
        # Without the audit capability a user sees only their own actions; say so.
        messages.info(request, _("You see only your own actions."))
    return render(
        request,
        "accounts/audit_list.html",
        {"page": paginate(request, qs), "verb": verb, "institution": institution},
    )
