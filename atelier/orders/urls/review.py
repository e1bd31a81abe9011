from django.urls import path

from atelier.core.placeholder import not_built_yet

urlpatterns = [
    path("qc/", not_built_yet, name="qc-queue"),
]
