from django.urls import path

from . import views

app_name = "knowledge"

urlpatterns = [
    path("", views.article_list, name="article_list"),
    path("new/", views.article_create, name="article_create"),
    path("approvals/", views.approvals, name="approvals"),
    path("my-work/", views.my_work, name="my_work"),
    path("procedure/<slug:code>/", views.procedure_edit, name="procedure"),
    path("licences/<slug:code>/", views.licences, name="licences"),
    path("licences/<int:pk>/withdraw/", views.licence_withdraw, name="licence_withdraw"),
    path("flags/<int:pk>/reject/", views.flag_reject, name="flag_reject"),
    path("<int:pk>/feedback/", views.article_feedback, name="article_feedback"),
    path("<int:pk>/flag/", views.article_flag, name="article_flag"),
    path("<int:pk>/relations/", views.relation_add, name="relation_add"),
    path("<int:pk>/attachments/", views.attachment_add, name="attachment_add"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("attachments/<int:pk>/remove/", views.attachment_remove, name="attachment_remove"),
    path("relations/<int:pk>/remove/", views.relation_remove, name="relation_remove"),
    path("<int:pk>/reviewed/", views.article_confirm_review, name="article_confirm_review"),
    path("<int:pk>/", views.article_detail, name="article_detail"),
    path("<int:pk>/history/", views.article_history, name="article_history"),
    path("<int:pk>/settings/", views.article_settings, name="article_settings"),
    path("<int:pk>/archive/", views.article_archive, name="article_archive"),
    path("<int:pk>/revisions/new/", views.revision_start, name="revision_start"),
    path("<int:pk>/revisions/<int:rid>/edit/", views.revision_edit, name="revision_edit"),
    path("<int:pk>/revisions/<int:rid>/edit/preview/", views.preview, name="preview"),
    path("<int:pk>/revisions/<int:rid>/publish/", views.revision_publish, name="revision_publish"),
    path("<int:pk>/revisions/<int:rid>/revert/", views.revision_revert, name="revision_revert"),
    path("<int:pk>/revisions/<int:rid>/discard/", views.revision_discard, name="revision_discard"),
]
