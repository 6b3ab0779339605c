from django.urls import path

from shequ.emergency import views

app_name = "emergency"

urlpatterns = [
    path("", views.incident_list, name="incident_list"),
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="plan_edit"),
    path("activate/", views.incident_activate, name="incident_activate"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident_detail"),
    path("incidents/<int:pk>/members/", views.member_add, name="member_add"),
    path("incidents/<int:pk>/members/<int:member_pk>/", views.member_edit, name="member_edit"),
    path("incidents/<int:pk>/tasks/", views.task_add, name="task_add"),
    path("incidents/<int:pk>/tasks/<int:task_pk>/complete/", views.task_complete, name="task_complete"),
    path("incidents/<int:pk>/stand-down/", views.incident_stand_down, name="incident_stand_down"),
    path("incidents/<int:pk>/review/", views.incident_review, name="incident_review"),
]
