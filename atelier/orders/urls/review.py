from django.urls import path

from ..views import review as views

urlpatterns = [
    path("qc/", views.qc_queue, name="qc-queue"),
    path("qc/<int:pk>/", views.qc_review, name="qc-review"),
    path("qc/<int:pk>/claim/", views.qc_claim, name="qc-claim"),
]
