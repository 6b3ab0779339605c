from django.urls import path

from shequ.livelihood import views

app_name = "livelihood"

urlpatterns = [
    path("", views.index, name="index"),
    path("merchants/", views.merchants, name="merchants"),
    path("group-buys/new/", views.group_buy_new, name="group_buy_new"),
    path("group-buys/<int:pk>/", views.group_buy, name="group_buy"),
    path("group-buys/<int:pk>/order/", views.group_buy_order, name="group_buy_order"),
    path("group-buys/<int:pk>/sheets/", views.group_buy_sheets, name="sheets"),
    path("group-buys/<int:pk>/deliver/", views.group_buy_deliver, name="deliver"),
    path("orders/<int:pk>/", views.order, name="order"),
    path("medicine/", views.medicine, name="medicine"),
    path("medicine/<int:pk>/", views.medicine_detail, name="medicine_detail"),
    path("pairing/", views.pairing, name="pairing"),
    path("pairing/<int:pk>/", views.pairing_detail, name="pairing_detail"),
]
