"""Supplies pages: the overview, a store and its six actions, the ledger, requests, rounds, the catalogue."""

from django.urls import path

from shequ.supplies import views

app_name = "supplies"

urlpatterns = [
    path("", views.stock, name="stock"),
    path("stores/<int:pk>/", views.store_detail, name="store_detail"),
    path("stores/<int:pk>/receive/", views.store_receive, name="store_receive"),
    path("stores/<int:pk>/issue/", views.store_issue, name="store_issue"),
    path("stores/<int:pk>/transfer/", views.store_transfer, name="store_transfer"),
    path("stores/<int:pk>/reorder/", views.store_reorder, name="store_reorder"),
    path("stores/<int:pk>/count/", views.store_count, name="store_count"),
    path("stores/<int:pk>/write-off/", views.store_write_off, name="store_write_off"),
    path("ledger/", views.ledger, name="ledger"),
    path("requests/", views.requests_page, name="requests"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/cancel/", views.request_cancel, name="request_cancel"),
    path("allocate/", views.allocate, name="allocate"),
    path("rounds/<int:pk>/", views.round_detail, name="round_detail"),
    path("catalogue/", views.catalogue, name="catalogue"),
]
