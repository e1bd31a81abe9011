from django.urls import path

from atelier.core.placeholder import not_built_yet

urlpatterns = [
    path("work/", not_built_yet, name="expert-dashboard"),
]
