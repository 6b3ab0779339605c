from django.urls import path

from shequ.supplies import views

app_name = "supplies"

urlpatterns = [
    path("", views.stock, name="stock"),
    path("stores/<int:pk>/", views.store_detail, name="store_detail"),
    path("ledger/", views.ledger, name="ledger"),
    path("requests/", views.requests_page, name="requests"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/cancel/", views.request_cancel, name="request_cancel"),
    path("allocate/", views.allocate, name="allocate"),
    path("rounds/<int:pk>/", views.round_detail, name="round_detail"),
    path("catalogue/", views.catalogue, name="catalogue"),
]
