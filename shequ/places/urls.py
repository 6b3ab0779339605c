from django.urls import path

from shequ.places import views

app_name = "places"

urlpatterns = [
    path("", views.browse, name="browse"),
    path("p/<int:pk>/", views.place_detail, name="place"),
    path("d/<int:pk>/", views.dwelling_detail, name="dwelling"),
]
