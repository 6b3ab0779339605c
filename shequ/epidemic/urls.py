from django.urls import path

from shequ.epidemic import views

app_name = "epidemic"

urlpatterns = [
    path("sw.js", views.service_worker, name="service_worker"),
    path("incidents/<int:pk>/board/", views.board, name="board"),
    path("incidents/<int:pk>/campaigns/", views.campaign_start, name="campaign_start"),
    path("incidents/<int:pk>/checkins/", views.checkins, name="checkins"),
    path("incidents/<int:pk>/zones/", views.zones, name="zones"),
    path("incidents/<int:pk>/monitoring/", views.monitoring_list, name="monitoring_list"),
    path("incidents/<int:pk>/contacts/", views.contacts, name="contacts"),
    path("incidents/<int:pk>/testing/", views.testing, name="testing"),
    path("campaigns/<int:pk>/progress/", views.progress, name="progress"),
    path("campaigns/<int:pk>/capture/", views.capture, name="capture"),
    path("monitoring/<int:pk>/", views.monitoring_detail, name="monitoring_detail"),
    path("followups/<int:pk>/", views.followup_record, name="followup_record"),
    path("testing/<int:pk>/", views.testing_round, name="testing_round"),
]
