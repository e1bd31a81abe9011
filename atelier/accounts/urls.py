from django.urls import path

from atelier.core.placeholder import not_built_yet

from . import views

urlpatterns = [
    path("set-password/", views.set_password, name="set-password"),
    path("profile/", not_built_yet, name="profile"),
]
