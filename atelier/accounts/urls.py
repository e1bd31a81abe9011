from django.urls import path

from . import views

urlpatterns = [
    path("set-password/", views.set_password, name="set-password"),
    path("profile/", views.profile, name="profile"),
]
