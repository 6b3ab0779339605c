from django.urls import path

from bench.benchapp import views

urlpatterns = [
    path("bare-checkin/", views.bare_checkin, name="bench-bare-checkin"),
    path("bare-checkin-row/", views.bare_checkin_row, name="bench-bare-checkin-row"),
]
