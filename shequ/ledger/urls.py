from django.urls import path

from shequ.ledger import views

app_name = "ledger"

urlpatterns = [
    path("search/", views.search, name="search"),
    path("pick/person/", views.person_pick, name="person_pick"),
    path("pick/dwelling/", views.dwelling_pick, name="dwelling_pick"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/<int:pk>/", views.person_detail, name="person"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/reveal/", views.person_reveal, name="person_reveal"),
    path("people/<int:pk>/move/", views.person_move, name="person_move"),
    path("households/mine/", views.my_household, name="my_household"),
    path("households/new/", views.household_create, name="household_create"),
    path("households/<int:pk>/", views.household_detail, name="household"),
    path("households/<int:pk>/members/", views.household_member_add, name="member_add"),
    path("households/<int:pk>/members/<int:member_pk>/leave/", views.member_remove, name="member_remove"),
    path("households/<int:pk>/residencies/", views.household_residency_add, name="residency_add"),
    path(
        "households/<int:pk>/residencies/<int:residency_pk>/end/", views.residency_end, name="residency_end"
    ),
    path("households/<int:pk>/tags/", views.household_tag_add, name="tag_add"),
    path("households/<int:pk>/tags/<int:tag_pk>/end/", views.tag_end, name="tag_end"),
    path("households/<int:pk>/needs/", views.household_need_add, name="need_add"),
    path("households/<int:pk>/needs/<int:need_pk>/status/", views.need_status, name="need_status"),
    path("households/<int:pk>/confirm/", views.household_confirm, name="household_confirm"),
    path("duties/", views.duties, name="duties"),
    path("duties/assign/", views.duty_assign, name="duty_assign"),
    path("duties/<int:pk>/end/", views.duty_end, name="duty_end"),
]
