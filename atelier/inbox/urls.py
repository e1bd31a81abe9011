from django.urls import path

from . import views

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read-all/", views.read_all, name="inbox-read-all"),
    path("<int:pk>/open/", views.open_notification, name="inbox-open"),
    path("<int:pk>/read/", views.read_notification, name="inbox-read"),
]
