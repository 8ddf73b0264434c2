"""Catalog pages: browse, service and resource pages, edit forms, import and export."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zina.accounts import operations as account_ops
from zina.accounts.choices import Role
from zina.accounts.models import Institution, RoleAssignment, User
from zina.accounts.views import AuthedRequest
from zina.core.forms import paginate, submit
from zina.core.history import history_for
from zina.core.permissions import can, require
from zina.search.queries import ranked_ids

from . import operations as ops
from . import transfer
from .choices import Criticality, ResourceType, Status
from .forms import (
    AssignmentForm,
    DependencyForm,
    ImportForm,
    InstitutionChoiceForm,
    RelatedServicesForm,
    ResourceForm,
    ServiceForm,
    ServiceLevelForm,
)
from .graph import affected_services, dependencies_closure
from .models import Resource, ResourceDependency, Service, ServiceDependency, ServiceLevel
from .panels import panels_for
from .scopes import RESOURCE_ROLES, SERVICE_ROLES


def _institutions_where(user: Any, action: str) -> QuerySet[Institution]:
    visible = Institution.objects.visible_to(user)
    return visible.filter(pk__in=[i.pk for i in visible if can(user, action, i)])


def _filters(request: HttpRequest) -> dict[str, str]:
    return {
        k: request.GET.get(k, "").strip()
        for k in ("q", "institution", "category", "status", "owner", "type", "criticality")
    }


def _owned_by(user: Any, model: type[Service] | type[Resource], username: str) -> Q:
    """Objects the named person owns or provides — as far as the viewer may see who holds
    which role (role assignments have their own rule)."""
    ct = ContentType.objects.get_for_model(model)
    ids = (
        RoleAssignment.objects.visible_to(user)
        .filter(
            scope_type=ct,
            user__username=username,
            role__in=[Role.SERVICE_OWNER, Role.RESOURCE_OWNER, Role.SERVICE_PROVIDER],
        )
        .values("scope_id")
    )
    return Q(pk__in=ids)


# --- Browse -----------------------------------------------------------------------------------


def service_list(request: HttpRequest) -> HttpResponse:
    f = _filters(request)
    qs = Service.objects.visible_to(request.user).select_related("institution")
    if f["q"]:
        ids = ranked_ids(request.user, f["q"], "service")
        qs = qs.filter(Q(pk__in=ids) | Q(identifier__iexact=f["q"]))
    if f["institution"]:
        qs = qs.filter(institution__code=f["institution"])
    if f["category"]:
        qs = qs.filter(category=f["category"])
    if f["status"]:
        qs = qs.filter(status=f["status"])
    if f["owner"] and request.user.is_authenticated:  # who owns what is for staff only
        qs = qs.filter(_owned_by(request.user, Service, f["owner"]))
    visible = Service.objects.visible_to(request.user)
    return render(
        request,
        "catalog/service_list.html",
        {
            "page": paginate(request, qs),
            "f": f,
            "querystring": request.GET.urlencode(),
            "institutions": Institution.objects.filter(pk__in=visible.values("institution_id")),
            "categories": visible.exclude(category="")
            .values_list("category", flat=True)
            .distinct()
            .order_by("category"),
            "statuses": Status.choices,
            "can_create": request.user.is_authenticated
            and _institutions_where(request.user, "manage_services").exists(),
            "can_import": request.user.is_authenticated
            and (
                _institutions_where(request.user, "manage_services").exists()
                or _institutions_where(request.user, "manage_resources").exists()
            ),
        },
    )


@login_required
def resource_list(request: AuthedRequest) -> HttpResponse:
    f = _filters(request)
    qs = Resource.objects.visible_to(request.user).select_related("institution")
    if f["q"]:
        ids = ranked_ids(request.user, f["q"], "resource")
        qs = qs.filter(Q(pk__in=ids) | Q(identifier__iexact=f["q"]))
    if f["institution"]:
        qs = qs.filter(institution__code=f["institution"])
    if f["type"]:
        qs = qs.filter(type=f["type"])
    if f["criticality"]:
        qs = qs.filter(criticality=f["criticality"])
    if f["status"]:
        qs = qs.filter(status=f["status"])
    if f["owner"]:
        qs = qs.filter(_owned_by(request.user, Resource, f["owner"]))
    visible = Resource.objects.visible_to(request.user)
    return render(
        request,
        "catalog/resource_list.html",
        {
            "page": paginate(request, qs),
            "f": f,
            "querystring": request.GET.urlencode(),
            "institutions": Institution.objects.filter(pk__in=visible.values("institution_id")),
            "types": ResourceType.choices,
            "criticalities": Criticality.choices,
            "statuses": Status.choices,
            "can_create": _institutions_where(request.user, "manage_resources").exists(),
        },
    )


# --- Service pages ---------------------------------------------------------------------------


def _assignments(obj: Service | Resource, user: Any) -> QuerySet[RoleAssignment]:
    return (
        RoleAssignment.objects.visible_to(user)
        .filter(scope_type=ContentType.objects.get_for_model(obj), scope_id=obj.pk)
        .select_related("user", "institution")
        .order_by("responsibility", "role", "user__last_name")
    )


def _has_accountable(assignments: list[RoleAssignment], role: str) -> bool:
    return any(a.role == role and a.responsibility == "A" for a in assignments)


def _assignment_form(
    request: HttpRequest, obj: Service | Resource, roles: set[str], data: Any = None
) -> AssignmentForm | None:
    if not can(request.user, "manage_owners", obj):
        return None
    users = User.objects.visible_to(request.user).filter(
        is_active=True, memberships__institution=obj.institution
    )
    return AssignmentForm(data, users=users.order_by("last_name", "first_name"), roles=roles)


def service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    service = get_object_or_404(
        Service.objects.visible_to(request.user).select_related("institution"), pk=pk
    )
    return render(request, "catalog/service_detail.html", _service_context(request, service))


def _service_context(request: HttpRequest, service: Service, **forms: Any) -> dict[str, Any]:
    user = request.user
    level = ServiceLevel.objects.filter(service=service).prefetch_related("targets").first()
    visible_resources = Resource.objects.visible_to(user)
    direct = (
        ServiceDependency.objects.visible_to(user)
        .filter(service=service)
        .select_related("resource", "resource__institution")
    )
    direct_ids = [d.resource_id for d in direct]
    indirect = visible_resources.filter(
        pk__in=dependencies_closure(direct_ids) - set(direct_ids)
    ).select_related("institution")
    can_change = can(user, "change", service)
    assignments = list(_assignments(service, user))
    context = {
        "service": service,
        "level": level,
        "targets": level.targets_by_priority() if level else {},
        "direct": direct,
        "indirect": indirect,
        "related": service.related.all().filter(
            pk__in=Service.objects.visible_to(user).values("pk")
        ),
        "assignments": assignments,
        "missing_owner": not _has_accountable(assignments, Role.SERVICE_OWNER),
        "can_change": can_change,
        "dependency_form": forms.get("dependency_form")
        or (
            DependencyForm(resources=visible_resources.exclude(pk__in=direct_ids))
            if can_change
            else None
        ),
        "assignment_form": forms.get("assignment_form")
        or _assignment_form(request, service, SERVICE_ROLES),
        "panels": panels_for("service", user, service),
        "history": history_for(user, service),
    }
    return context


@login_required
def service_create(request: AuthedRequest) -> HttpResponse:
    return _create_page(
        request,
        "manage_services",
        ServiceForm,
        ops.create_service,
        _("New service"),
        "catalog:service_list",
        _("Service created."),
    )


@login_required
def service_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    service = get_object_or_404(Service.objects.visible_to(request.user), pk=pk)
    require(request.user, "change", service)
    form = ServiceForm(request.POST or None, instance=Service.objects.get(pk=pk))
    related = RelatedServicesForm(
        request.POST or None,
        service=service,
        candidates=Service.objects.visible_to(request.user).filter(institution=service.institution),
    )

    @transaction.atomic
    def save() -> Service:
        updated = ops.update_service(actor=request.user, service=service, data=form.data_object())
        wanted = list(related.cleaned_data["related"])
        if set(wanted) != set(service.related.all()):
            ops.set_related_services(actor=request.user, service=service, related=wanted)
        return updated

    if submit(request, [related, form], save, _("Changes saved.")):
        return redirect(service)
    return render(
        request,
        "catalog/form.html",
        {"forms": [form, related], "title": _("Edit service"), "back": service},
    )


@login_required
def service_level_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    service = get_object_or_404(Service.objects.visible_to(request.user), pk=pk)
    require(request.user, "change", service)
    level = ServiceLevel.objects.filter(service=service).first() or ServiceLevel(service=service)
    form = ServiceLevelForm(request.POST or None, instance=level)
    if submit(
        request,
        form,
        lambda: ops.set_service_level(actor=request.user, service=service, data=form.data_object()),
        _("Service level saved."),
    ):
        return redirect(service)
    return render(
        request,
        "catalog/form.html",
        {"forms": [form], "title": _("Service level: %s") % service.name, "back": service},
    )


@login_required
@require_POST
def service_dependency_add(request: AuthedRequest, pk: int) -> HttpResponse:
    service = get_object_or_404(Service.objects.visible_to(request.user), pk=pk)
    return _dependency_add(
        request,
        service,
        lambda resource: ops.add_service_dependency(
            actor=request.user, service=service, resource=resource
        ),
        "catalog/service_detail.html",
        _service_context,
    )


def _dependency_add(
    request: AuthedRequest,
    obj: Service | Resource,
    add: Callable[[Resource], Any],
    template: str,
    context: Callable[..., dict[str, Any]],
) -> HttpResponse:
    form = DependencyForm(request.POST, resources=Resource.objects.visible_to(request.user))
    if submit(request, form, lambda: add(form.cleaned_data["resource"]), _("Dependency added.")):
        return redirect(obj)
    return render(request, template, context(request, obj, dependency_form=form), status=400)


@login_required
@require_POST
def service_dependency_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    edge = get_object_or_404(ServiceDependency.objects.visible_to(request.user), pk=pk)
    ops.remove_service_dependency(actor=request.user, edge=edge)
    messages.success(request, _("Dependency removed."))
    return redirect(edge.service)


def _assign(
    request: AuthedRequest, obj: Service | Resource, roles: set[str], rerender: Any
) -> HttpResponse:
    form = _assignment_form(request, obj, roles, request.POST)
    if form is None:
        raise PermissionDenied

    def assign() -> Any:
        data = form.cleaned_data
        if (
            data["role"] in (Role.SERVICE_OWNER, Role.RESOURCE_OWNER)
            and data["responsibility"] == "A"
        ):
            return ops.set_accountable_owner(actor=request.user, obj=obj, user=data["user"])
        return account_ops.assign_role(
            actor=request.user,
            user=data["user"],
            institution=obj.institution,
            role=data["role"],
            responsibility=data["responsibility"],
            scope=obj,
        )

    if submit(request, form, assign, _("Role assigned.")):
        return redirect(obj)
    return rerender(form)


@login_required
@require_POST
def service_assign(request: AuthedRequest, pk: int) -> HttpResponse:
    service = get_object_or_404(Service.objects.visible_to(request.user), pk=pk)
    return _assign(
        request,
        service,
        SERVICE_ROLES,
        lambda form: render(
            request,
            "catalog/service_detail.html",
            _service_context(request, service, assignment_form=form),
            status=400,
        ),
    )


# --- Resource pages --------------------------------------------------------------------------


@login_required
def resource_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    resource = get_object_or_404(
        Resource.objects.visible_to(request.user).select_related("institution"), pk=pk
    )
    return render(request, "catalog/resource_detail.html", _resource_context(request, resource))


def _resource_context(request: AuthedRequest, resource: Resource, **forms: Any) -> dict[str, Any]:
    user = request.user
    depends_on = (
        ResourceDependency.objects.visible_to(user)
        .filter(resource=resource)
        .select_related("depends_on", "depends_on__institution")
    )
    dependents = (
        ResourceDependency.objects.visible_to(user)
        .filter(depends_on=resource)
        .select_related("resource", "resource__institution")
    )
    can_change = can(user, "change", resource)
    assignments = list(_assignments(resource, user))
    taken = [d.depends_on_id for d in depends_on] + [resource.pk]
    return {
        "resource": resource,
        "depends_on": depends_on,
        "dependents": dependents,
        "direct_services": Service.objects.visible_to(user)
        .filter(dependencies__resource=resource)
        .select_related("institution"),
        "affected": affected_services(resource).visible_to(user).select_related("institution"),
        "assignments": assignments,
        "missing_owner": not _has_accountable(assignments, Role.RESOURCE_OWNER),
        "can_change": can_change,
        "dependency_form": forms.get("dependency_form")
        or (
            DependencyForm(resources=Resource.objects.visible_to(user).exclude(pk__in=taken))
            if can_change
            else None
        ),
        "assignment_form": forms.get("assignment_form")
        or _assignment_form(request, resource, RESOURCE_ROLES),
        "panels": panels_for("resource", user, resource),
        "history": history_for(user, resource),
    }


@login_required
def resource_create(request: AuthedRequest) -> HttpResponse:
    return _create_page(
        request,
        "manage_resources",
        ResourceForm,
        ops.create_resource,
        _("New resource"),
        "catalog:resource_list",
        _("Resource created."),
    )


def _create_page(
    request: AuthedRequest,
    permission: str,
    form_class: type[ServiceForm] | type[ResourceForm],
    create: Callable[..., Any],
    title: str,
    list_url: str,
    message: str,
) -> HttpResponse:
    institutions = _institutions_where(request.user, permission)
    if not institutions.exists():
        raise PermissionDenied
    choice = InstitutionChoiceForm(request.POST or None, institutions=institutions)
    form = form_class(request.POST or None)
    created = submit(
        request,
        [choice, form],
        lambda: create(
            actor=request.user,
            institution=choice.cleaned_data["institution"],
            data=form.data_object(),
        ),
        message,
    )
    if created is not None:
        return redirect(created)
    return render(
        request,
        "catalog/form.html",
        {"forms": [choice, form], "title": title, "back_url": list_url},
    )


@login_required
def resource_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    resource = get_object_or_404(Resource.objects.visible_to(request.user), pk=pk)
    require(request.user, "change", resource)
    form = ResourceForm(request.POST or None, instance=Resource.objects.get(pk=pk))
    if submit(
        request,
        form,
        lambda: ops.update_resource(actor=request.user, resource=resource, data=form.data_object()),
        _("Changes saved."),
    ):
        return redirect(resource)
    return render(
        request,
        "catalog/form.html",
        {"forms": [form], "title": _("Edit resource"), "back": resource},
    )


@login_required
@require_POST
def resource_dependency_add(request: AuthedRequest, pk: int) -> HttpResponse:
    resource = get_object_or_404(Resource.objects.visible_to(request.user), pk=pk)
    return _dependency_add(
        request,
        resource,
        lambda depends_on: ops.add_resource_dependency(
            actor=request.user, resource=resource, depends_on=depends_on
        ),
        "catalog/resource_detail.html",
        _resource_context,
    )


@login_required
@require_POST
def resource_dependency_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    edge = get_object_or_404(ResourceDependency.objects.visible_to(request.user), pk=pk)
    ops.remove_resource_dependency(actor=request.user, edge=edge)
    messages.success(request, _("Dependency removed."))
    return redirect(edge.resource)


@login_required
@require_POST
def resource_assign(request: AuthedRequest, pk: int) -> HttpResponse:
    resource = get_object_or_404(Resource.objects.visible_to(request.user), pk=pk)
    return _assign(
        request,
        resource,
        RESOURCE_ROLES,
        lambda form: render(
            request,
            "catalog/resource_detail.html",
            _resource_context(request, resource, assignment_form=form),
            status=400,
        ),
    )


# --- Import and export -----------------------------------------------------------------------

UPLOADS = "catalog_import"


def _upload_dir(token: str) -> Path:
    return Path(settings.DATA_DIR) / "imports" / token


def _bundle_from(paths: list[Path]) -> transfer.Bundle:
    bundle = transfer.Bundle()
    for path in paths:
        # Stored as "NN-name" to keep the order and distinct names; errors show the user's name.
        bundle.extend(transfer.read_file(path.name.split("-", 1)[-1], path.read_bytes()))
    return bundle


@login_required
def catalog_import(request: AuthedRequest) -> HttpResponse:
    if not (
        _institutions_where(request.user, "manage_services").exists()
        or _institutions_where(request.user, "manage_resources").exists()
    ):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    token = ""
    format_error = ""
    if request.method == "POST" and "confirm" in request.POST:
        token = request.POST.get("token", "")
        if token and request.session.get(UPLOADS) == token and _upload_dir(token).is_dir():
            directory = _upload_dir(token)
            try:
                report = ops.import_catalog(
                    actor=request.user, bundle=_bundle_from(sorted(directory.iterdir()))
                )
            except transfer.FormatError as exc:
                format_error = str(exc)
            shutil.rmtree(directory, ignore_errors=True)
            request.session.pop(UPLOADS, None)
            if report is not None and report.applied:
                messages.success(request, _("The catalog was imported."))
                return render(
                    request,
                    "catalog/import.html",
                    {"form": ImportForm(), "report": report, "done": True},
                )
        else:
            messages.error(request, _("The upload has expired. Choose the files again."))
        form = ImportForm()
    elif request.method == "POST" and form.is_valid():
        token = uuid.uuid4().hex
        directory = _upload_dir(token)
        directory.mkdir(parents=True)
        paths = []
        for index, upload in enumerate(form.cleaned_data["upload"]):
            path = directory / f"{index:02d}-{get_valid_filename(upload.name)}"
            with path.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            paths.append(path)
        try:
            report = ops.import_catalog(
                actor=request.user, bundle=_bundle_from(paths), dry_run=True
            )
        except transfer.FormatError as exc:
            format_error = str(exc)
        if report is None or not report.ok:
            shutil.rmtree(directory, ignore_errors=True)
            token = ""
        else:
            request.session[UPLOADS] = token
    return render(
        request,
        "catalog/import.html",
        {
            "form": form,
            "report": report,
            "token": token,
            "format_error": format_error,
        },
        status=400 if format_error or (report is not None and not report.ok) else 200,
    )


def catalog_export(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "services")
    fmt = request.GET.get("format", "csv")
    if kind not in transfer.KINDS or fmt not in ("csv", "json"):
        return render(
            request,
            "core/error.html",
            {
                "status": 400,
                "title": _("Bad request"),
                "message": _(
                    "Choose a kind (services, resources, dependencies) and a format (csv, json)."
                ),
            },
            status=400,
        )
    services = (
        Service.objects.visible_to(request.user)
        .select_related("institution")
        .order_by("institution__code", "identifier")
    )
    resources = (
        Resource.objects.visible_to(request.user)
        .select_related("institution")
        .order_by("institution__code", "identifier")
    )
    institution = request.GET.get("institution", "")
    if institution:
        services = services.filter(institution__code=institution)
        resources = resources.filter(institution__code=institution)
    rows = transfer.export_rows(request.user, services, resources)
    if fmt == "json":
        response = HttpResponse(transfer.to_json(rows), content_type="application/json")
        response["Content-Disposition"] = 'attachment; filename="zina-catalog.json"'
    else:
        response = HttpResponse(
            transfer.to_csv(kind, rows[kind]), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{kind}.csv"'
    return response
