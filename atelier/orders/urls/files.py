from django.urls import path

from ..views import files as views

urlpatterns = [
    path("files/<int:pk>/preview/", views.file_preview, name="file-preview"),
    path("files/<int:pk>/inline/", views.file_inline, name="file-inline"),
    path(
        "orders/<int:pk>/submissions/<int:number>/diff/",
        views.submission_diff,
        name="submission-diff",
    ),
]
