from django.urls import path

from shequ.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.intake, name="intake"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/act/<slug:action>/", views.act, name="act"),
    path("<int:pk>/report/", views.report, name="report"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("submit/", views.submit, name="submit"),
    path("my/", views.my_list, name="my"),
    path("my/<int:pk>/", views.my_detail, name="my_detail"),
    path("track/<str:token>/", views.track, name="track"),
    path("track/<str:token>/attachments/<int:pk>/", views.track_attachment, name="track_attachment"),
    path("whistles/", views.whistles, name="whistles"),
    path("whistles/summoned/", views.whistles, {"summoned": True}, name="whistles_summoned"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/new/", views.catalogue_edit, name="catalogue_new"),
    path("catalogue/<int:pk>/", views.catalogue_edit, name="catalogue_edit"),
    path("admission/", views.admission, name="admission"),
    path("admission/new/", views.admission_edit, name="admission_new"),
    path("admission/<int:pk>/", views.admission_edit, name="admission_edit"),
    path("duties/new/", views.duty_new, name="duty_new"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
