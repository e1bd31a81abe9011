"""The agent console's webhook pages, under /console/webhooks/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.endpoint_list, name="console-webhooks"),
    path("new/", views.endpoint_new, name="console-webhook-new"),
    path("<int:pk>/", views.endpoint_page, name="console-webhook"),
    path("<int:pk>/edit/", views.endpoint_edit, name="console-webhook-edit"),
    path("<int:pk>/rotate/", views.endpoint_rotate, name="console-webhook-rotate"),
    path("<int:pk>/active/", views.endpoint_active, name="console-webhook-active"),
    path("<int:pk>/ping/", views.endpoint_ping, name="console-webhook-ping"),
    path("<int:pk>/delete/", views.endpoint_delete, name="console-webhook-delete"),
    path("deliveries/<int:pk>/", views.delivery_page, name="console-webhook-delivery"),
    path("deliveries/<int:pk>/retry/", views.delivery_retry, name="console-webhook-retry"),
]
