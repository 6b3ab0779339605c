from django.urls import path

from shequ.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.index, name="index"),
    path("sources/", views.sources, name="sources"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("batches/<int:pk>/mapping/", views.batch_mapping, name="mapping"),
    path("batches/<int:pk>/run/", views.batch_run, name="run"),
    path("batches/<int:pk>/progress/", views.batch_progress, name="progress"),
    path("batches/<int:pk>/errors.xlsx", views.batch_error_report, name="error_report"),
    path("people/<int:pk>/provenance/", views.provenance, name="provenance"),
    path("people/<int:pk>/settle/", views.conflict_settle, name="settle"),
    path("conflicts/", views.conflicts, name="conflicts"),
    path("owners/", views.owners, name="owners"),
    path("stale/", views.stale, name="stale"),
    path("extracts/", views.extracts, name="extracts"),
]
