"""Knowledge pages: list, article, editor with preview, history and diff, approvals."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Sum
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zina.accounts.models import Institution, User
from zina.accounts.security import client_address
from zina.accounts.views import AuthedRequest
from zina.catalog.models import Resource, Service
from zina.core.forms import add_operation_errors, paginate, submit
from zina.core.history import history_for
from zina.core.permissions import can, require
from zina.search.queries import ranked_ids

from . import operations as ops
from .choices import TEMPLATES, ArticleRelationKind, ArticleType, Audience, State
from .forms import (
    ArticleSettingsForm,
    ArticleTextForm,
    AttachmentForm,
    FeedbackForm,
    FlagForm,
    LicenceForm,
    NewArticleForm,
    ProcedureForm,
    RejectFlagForm,
    RelationForm,
)
from .models import (
    Article,
    ArticleAttachment,
    ArticleFeedback,
    ArticleFlag,
    ArticleRelation,
    ArticleRevision,
    KnowledgeLicence,
    KnowledgeProcedure,
)
from .rendering import render_markdown


def _articles(user: Any) -> QuerySet[Article]:
    return (
        Article.objects.visible_to(user)
        .select_related("institution", "owner")
        .prefetch_related(Prefetch("revisions", queryset=ArticleRevision.objects.visible_to(user)))
    )


def article_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    f = {
        k: request.GET.get(k, "").strip()
        for k in ("q", "type", "state", "service", "owner", "audience", "due")
    }
    qs = _articles(user)
    if f["q"]:
        qs = qs.filter(pk__in=ranked_ids(user, f["q"], "article"))
    if f["type"]:
        qs = qs.filter(type=f["type"])
    if f["audience"]:
        qs = qs.filter(audience=f["audience"])
    if f["service"]:
        qs = qs.filter(services__pk=f["service"]) if f["service"].isdigit() else qs.none()
    if f["owner"] and user.is_authenticated:
        qs = qs.filter(owner__username=f["owner"])
    if f["state"] == "archived":
        qs = qs.filter(archived_at__isnull=False)
    elif f["state"] == "published":
        qs = qs.filter(Exists(ArticleRevision.objects.filter(article=OuterRef("pk"), is_live=True)))
    elif f["state"] in (State.DRAFT, State.NOT_VALIDATED):
        qs = qs.filter(
            pk__in=ArticleRevision.objects.visible_to(user)
            .filter(state=f["state"])
            .values("article_id")
        )
    if f["due"] and user.is_authenticated:
        qs = qs.filter(review_by__lte=timezone.localdate(), archived_at__isnull=True)
    return render(
        request,
        "knowledge/article_list.html",
        {
            "page": paginate(request, qs.distinct()),
            "f": f,
            "types": ArticleType.choices,
            "audiences": Audience.choices,
            "services": Service.objects.visible_to(user).filter(articles__isnull=False).distinct(),
            "can_write": user.is_authenticated and _write_institutions(user).exists(),
            "today": timezone.localdate(),
        },
    )


def _write_institutions(user: Any) -> QuerySet[Institution]:
    visible = Institution.objects.visible_to(user)
    return visible.filter(pk__in=[i.pk for i in visible if can(user, "write_knowledge", i)])


def _settings_form(request: HttpRequest, data: Any = None, **kwargs: Any) -> ArticleSettingsForm:
    user = request.user
    writable = _write_institutions(user)
    return ArticleSettingsForm(
        data,
        services=Service.objects.visible_to(user).filter(institution__in=writable),
        resources=Resource.objects.visible_to(user).filter(institution__in=writable),
        institutions=Institution.objects.visible_to(user),
        **kwargs,
    )


@login_required
def article_create(request: AuthedRequest) -> HttpResponse:
    institutions = _write_institutions(request.user)
    if not institutions.exists():
        raise PermissionDenied
    data = request.POST or None
    new = NewArticleForm(
        data, institutions=institutions, initial={"language": translation.get_language()}
    )
    settings = _settings_form(request, data)
    # A knowledge gap or a ticket can start an article with its title filled in.
    text = ArticleTextForm(data, initial={"title": request.GET.get("title", "")[:300]})
    revision = submit(
        request,
        [new, settings, text],
        lambda: ops.create_article(
            actor=request.user,
            institution=new.cleaned_data["institution"],
            settings=settings.settings_object(),
            text=text.text_object(),
            language=new.cleaned_data["language"],
        ),
        _("Draft saved. Submit it for approval when it is ready."),
    )
    if revision:
        return redirect("knowledge:revision_edit", pk=revision.article_id, rid=revision.pk)
    return render(
        request,
        "knowledge/editor.html",
        {
            "forms": [new, settings, text],
            "title": _("New article"),
            "preview": "",
        },
    )


def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(_articles(request.user), pk=pk)
    language = translation.get_language()
    live = article.live_revision(language)
    if live is not None:
        ops.record_view(user=request.user, article=article)
    editable = request.user.is_authenticated and can(request.user, "edit", article)
    drafts = (
        [r for r in article.revisions.all() if r.state in (State.DRAFT, State.NOT_VALIDATED)]
        if editable
        else []
    )
    return render(
        request,
        "knowledge/article_detail.html",
        {
            "article": article,
            "live": live,
            "other_language": live is not None and live.language != language,
            "html": render_markdown(live.body) if live else "",
            "sections": [
                (label, getattr(live, name))
                for name, label in TEMPLATES.get(article.type, [])
                if live and getattr(live, name)
            ],
            "drafts": drafts,
            "can_edit": editable,
            "can_publish": request.user.is_authenticated and can(request.user, "publish", article),
            "overdue": request.user.is_authenticated
            and article.review_by is not None
            and article.review_by < timezone.localdate(),
            "services": article.services.filter(pk__in=Service.objects.visible_to(request.user)),
            "resources": article.resources.filter(pk__in=Resource.objects.visible_to(request.user)),
            "history": history_for(request.user, article) if editable else [],
            "reads": dict(article.view_counts.values_list("reader").annotate(n=Sum("count")))
            if editable
            else {},
            "feedback": ArticleFeedback.objects.visible_to(request.user).filter(article=article)[
                :20
            ]
            if editable
            else [],
            "feedback_form": FeedbackForm(),
            "flag_form": FlagForm(),
            "relations": ArticleRelation.objects.visible_to(request.user)
            .filter(from_article=article)
            .select_related("to_article"),
            "superseded_by": Article.objects.visible_to(request.user)
            .filter(relations__to_article=article, relations__kind=ArticleRelationKind.SUPERSEDES)
            .first(),
            "relation_form": RelationForm() if editable else None,
            "attachments": ArticleAttachment.objects.visible_to(request.user).filter(
                article=article
            ),
            "attachment_form": AttachmentForm() if editable else None,
        },
    )


@login_required
@require_POST
def revision_start(request: AuthedRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article.objects.visible_to(request.user), pk=pk)
    revision = ops.start_revision(
        actor=request.user, article=article, language=request.POST.get("language") or "lv"
    )
    return redirect("knowledge:revision_edit", pk=pk, rid=revision.pk)


def _revision(request: HttpRequest, pk: int, rid: int) -> ArticleRevision:
    return get_object_or_404(
        ArticleRevision.objects.visible_to(request.user).select_related("article"),
        pk=rid,
        article_id=pk,
    )


@login_required
def revision_edit(request: AuthedRequest, pk: int, rid: int) -> HttpResponse:
    revision = _revision(request, pk, rid)
    require(request.user, "edit", revision.article)
    text = ArticleTextForm(
        request.POST or None,
        instance=revision,
        initial={"version": revision.version},
        preview_url=request.path + "preview/",
        article_type=revision.article.type,
    )
    conflict = None
    if request.method == "POST" and text.is_valid():
        try:
            ops.save_draft(
                actor=request.user,
                revision=revision,
                text=text.text_object(),
                expected_version=text.cleaned_data["version"] or 0,
            )
        except ops.EditConflict as exc:
            conflict = exc
        else:
            messages.success(request, _("Draft saved."))
            if "submit" in request.POST:
                ops.submit_for_review(
                    actor=request.user, revision=ArticleRevision.objects.get(pk=rid)
                )
                messages.success(request, _("Submitted for approval."))
                return redirect(revision.article)
            return redirect("knowledge:revision_edit", pk=pk, rid=rid)
    return render(
        request,
        "knowledge/editor.html",
        {
            "forms": [text],
            "revision": revision,
            "conflict": conflict,
            "title": _("Edit: %s") % revision.title,
            "preview": render_markdown(text["body"].value() or ""),
        },
        status=409 if conflict else 200,
    )


@login_required
@require_POST
def preview(request: AuthedRequest, pk: int, rid: int) -> HttpResponse:
    """htmx: the rendered (sanitised) Markdown of the body being typed."""
    _revision(request, pk, rid)
    return HttpResponse(render_markdown(request.POST.get("body", "")))


@login_required
@require_POST
def revision_publish(request: AuthedRequest, pk: int, rid: int) -> HttpResponse:
    revision = _revision(request, pk, rid)
    ops.publish_revision(actor=request.user, revision=revision)
    messages.success(request, _("Published."))
    return redirect(revision.article)


@login_required
@require_POST
def revision_revert(request: AuthedRequest, pk: int, rid: int) -> HttpResponse:
    revision = _revision(request, pk, rid)
    draft = ops.revert_to(actor=request.user, revision=revision)
    messages.success(request, _("A new draft with the earlier text was started."))
    return redirect("knowledge:revision_edit", pk=pk, rid=draft.pk)


@login_required
@require_POST
def article_archive(request: AuthedRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article.objects.visible_to(request.user), pk=pk)
    ops.archive_article(actor=request.user, article=article)
    messages.success(request, _("Archived."))
    return redirect(article)


@login_required
def article_history(request: AuthedRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article.objects.visible_to(request.user), pk=pk)
    revisions = list(
        ArticleRevision.objects.visible_to(request.user)
        .filter(article=article)
        .select_related("author", "reviewed_by")
    )
    by_id: dict[int | None, ArticleRevision] = {r.pk: r for r in revisions}
    a, b = by_id.get(_int(request.GET.get("a"))), by_id.get(_int(request.GET.get("b")))
    return render(
        request,
        "knowledge/history.html",
        {
            "article": article,
            "revisions": revisions,
            "a": a,
            "b": b,
            "diff": ops.text_diff(a, b) if a and b else "",
            "can_edit": can(request.user, "edit", article),
        },
    )


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@login_required
def approvals(request: AuthedRequest) -> HttpResponse:
    """Revisions waiting for approval that this user may publish."""
    waiting = (
        ArticleRevision.objects.visible_to(request.user)
        .filter(state=State.NOT_VALIDATED)
        .select_related("article", "author", "article__institution")
    )
    queue = [r for r in waiting if can(request.user, "publish", r.article)]
    return render(request, "knowledge/approvals.html", {"queue": queue})


# --- Readers: feedback and flags ----------------------------------------------------------------


@require_POST
def article_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """“Was this helpful?” — a plain form, or an htmx swap of the feedback box."""
    article = get_object_or_404(Article.objects.visible_to(request.user), pk=pk)
    form = FeedbackForm(request.POST)
    thanks = False
    if form.is_valid():
        try:
            ops.give_feedback(
                actor=request.user,
                article=article,
                helpful=form.cleaned_data["helpful"] == "yes",
                comment=form.cleaned_data["comment"],
                address=client_address(request),
            )
        except ValidationError as exc:
            add_operation_errors(form, exc)
        else:
            thanks = True
    if request.headers.get("HX-Request"):
        return render(
            request,
            "knowledge/_feedback.html",
            {"article": article, "form": form, "thanks": thanks},
        )
    if thanks:
        messages.success(request, _("Thank you for your feedback."))
    else:
        messages.error(
            request, " ".join(str(e) for e in form.non_field_errors()) or _("Choose yes or no.")
        )
    return redirect(article)


@login_required
@require_POST
def article_flag(request: AuthedRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article.objects.visible_to(request.user), pk=pk)
    form = FlagForm(request.POST)
    if submit(
        request,
        form,
        lambda: ops.flag_article(
            actor=request.user, article=article, reason=form.cleaned_data["reason"]
        ),
        _("Thank you. The article's owner will check it."),
    ):
        return redirect(article)
    messages.error(request, _("Say what is outdated or incorrect."))
    return redirect(article)


@login_required
@require_POST
def flag_reject(request: AuthedRequest, pk: int) -> HttpResponse:
    flag = get_object_or_404(ArticleFlag.objects.visible_to(request.user), pk=pk)
    form = RejectFlagForm(request.POST)
    if not submit(
        request,
        form,
        lambda: ops.reject_flag(
            actor=request.user, flag=flag, reason=form.cleaned_data["resolution"]
        ),
        _("The task was closed."),
    ):
        messages.error(request, _("Give the reason for rejecting."))
    return redirect("knowledge:my_work")


@login_required
def my_work(request: AuthedRequest) -> HttpResponse:
    """The knowledge worker's list: articles due for review, open improvement tasks, drafts."""
    user = request.user
    mine = Article.objects.visible_to(user).filter(owner=user)
    due = ops.due_for_review().filter(pk__in=mine.values("pk")).order_by("review_by")
    institution_due = None
    managed = [i for i in _write_institutions(user) if can(user, "manage_knowledge", i)]
    if managed:
        institution_due = (
            ops.due_for_review()
            .filter(institution__in=managed, pk__in=Article.objects.visible_to(user).values("pk"))
            .order_by("review_by")
        )
    flags = (
        ArticleFlag.objects.visible_to(user)
        .filter(state="open", article__in=mine)
        .select_related("article", "reporter")
    )
    drafts = (
        ArticleRevision.objects.visible_to(user)
        .filter(author=user, state__in=[State.DRAFT, State.NOT_VALIDATED])
        .select_related("article")
    )
    return render(
        request,
        "knowledge/my_work.html",
        {
            "due": due,
            "institution_due": institution_due,
            "flags": flags,
            "drafts": drafts,
            "today": timezone.localdate(),
            "reject_form": RejectFlagForm(),
            "managed": managed,
        },
    )


@login_required
def procedure_edit(request: AuthedRequest, code: str) -> HttpResponse:
    institution = get_object_or_404(Institution.objects.visible_to(request.user), code=code)
    require(request.user, "manage_knowledge", institution)
    procedure = KnowledgeProcedure.objects.filter(institution=institution).first()
    form = ProcedureForm(request.POST or None, procedure=procedure)
    if submit(
        request,
        form,
        lambda: ops.set_procedure(
            actor=request.user,
            institution=institution,
            review_days_by_type=form.review_days(),
            text=form.cleaned_data["text"],
        ),
        _("The procedure was saved and published to staff."),
    ):
        return redirect("knowledge:procedure", code=code)
    return render(
        request,
        "knowledge/procedure.html",
        {"form": form, "institution": institution, "procedure": procedure},
    )


@login_required
@require_POST
def article_confirm_review(request: AuthedRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article.objects.visible_to(request.user), pk=pk)
    ops.confirm_review(actor=request.user, article=article)
    messages.success(request, _("Reviewed: the next review date is %s.") % article.review_by)
    return redirect(article)


@login_required
@require_POST
def relation_add(request: AuthedRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article.objects.visible_to(request.user), pk=pk)
    form = RelationForm(request.POST)
    if form.is_valid():
        other = (
            Article.objects.visible_to(request.user).filter(pk=form.cleaned_data["other"]).first()
        )
        if other is None:
            messages.error(request, _("There is no article with this number that you may see."))
        else:
            submit(
                request,
                form,
                lambda: ops.relate_articles(
                    actor=request.user, article=article, other=other, kind=form.cleaned_data["kind"]
                ),
                _("Relation added."),
            )
            for error in form.non_field_errors():
                messages.error(request, str(error))
    return redirect(article)


@login_required
@require_POST
def relation_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    relation = get_object_or_404(ArticleRelation.objects.visible_to(request.user), pk=pk)
    ops.unrelate_articles(actor=request.user, relation=relation)
    messages.success(request, _("Relation removed."))
    return redirect(relation.from_article)


@login_required
@require_POST
def attachment_add(request: AuthedRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article.objects.visible_to(request.user), pk=pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not submit(
        request,
        form,
        lambda: ops.add_attachment(
            actor=request.user, article=article, upload=form.cleaned_data["upload"]
        ),
        _("File attached."),
    ):
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect(article)


def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Files are served only to those who may read the article, never from a public URL."""
    attachment = get_object_or_404(ArticleAttachment.objects.visible_to(request.user), pk=pk)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_POST
def attachment_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    attachment = get_object_or_404(ArticleAttachment.objects.visible_to(request.user), pk=pk)
    article = attachment.article
    ops.remove_attachment(actor=request.user, attachment=attachment)
    messages.success(request, _("File removed."))
    return redirect(article)


@login_required
def licences(request: AuthedRequest, code: str) -> HttpResponse:
    """KCS licences of an institution: knowledge managers grant and withdraw them."""
    institution = get_object_or_404(Institution.objects.visible_to(request.user), code=code)
    require(request.user, "manage_knowledge", institution)
    form = LicenceForm(
        request.POST or None,
        users=User.objects.visible_to(request.user).filter(
            memberships__institution=institution, is_active=True
        ),
    )
    if submit(
        request,
        form,
        lambda: ops.grant_licence(
            actor=request.user,
            user=form.cleaned_data["user"],
            institution=institution,
            level=form.cleaned_data["level"],
        ),
        _("Licence granted."),
    ):
        return redirect("knowledge:licences", code=code)
    return render(
        request,
        "knowledge/licences.html",
        {
            "institution": institution,
            "licences": KnowledgeLicence.objects.visible_to(request.user)
            .filter(institution=institution)
            .select_related("user"),
            "form": form,
        },
    )


@login_required
@require_POST
def licence_withdraw(request: AuthedRequest, pk: int) -> HttpResponse:
    licence = get_object_or_404(KnowledgeLicence.objects.visible_to(request.user), pk=pk)
    code = licence.institution.code
    ops.withdraw_licence(actor=request.user, licence=licence)
    messages.success(request, _("Licence withdrawn."))
    return redirect("knowledge:licences", code=code)


@login_required
@require_POST
def revision_discard(request: AuthedRequest, pk: int, rid: int) -> HttpResponse:
    revision = _revision(request, pk, rid)
    article_id = revision.article_id
    ops.discard_draft(actor=request.user, revision=revision)
    messages.success(request, _("The draft was discarded."))
    if Article.objects.filter(pk=article_id).exists():
        return redirect("knowledge:article_detail", pk=article_id)
    return redirect("knowledge:article_list")


@login_required
def article_settings(request: AuthedRequest, pk: int) -> HttpResponse:
    """Type, audience, links to services and resources, and sharing."""
    article = get_object_or_404(Article.objects.visible_to(request.user), pk=pk)
    require(request.user, "edit", article)
    initial = {
        "type": article.type,
        "audience": article.audience,
        "services": list(article.services.all()),
        "resources": list(article.resources.all()),
        "shared_with_all": article.shared_with_all,
        "shared_with": list(article.shared_with.all()),
    }
    form = _settings_form(request, request.POST or None, initial=initial)
    if submit(
        request,
        form,
        lambda: ops.update_article_settings(
            actor=request.user, article=article, settings=form.settings_object()
        ),
        _("Changes saved."),
    ):
        return redirect(article)
    return render(
        request,
        "knowledge/editor.html",
        {"forms": [form], "title": _("Article settings"), "settings_of": article},
    )
