from django.urls import path

from shequ.linkage import views

app_name = "linkage"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("next/", views.next_item, name="next"),
    path("review/<str:number>/", views.review, name="review"),
    path("review/<str:number>/decide/", views.decide, name="decide"),
    path("scan/", views.scan_start, name="scan"),
    path("runs/<str:number>/", views.run_detail, name="run"),
    path("merges/", views.merges, name="merges"),
    path("merges/<str:number>/", views.merge_detail, name="merge"),
    path("merges/<str:number>/undo/", views.merge_undo, name="merge_undo"),
    path("people/<int:pk>/split/", views.person_split, name="split"),
    path("people/<int:pk>/merge/", views.person_merge, name="merge_person"),
]
