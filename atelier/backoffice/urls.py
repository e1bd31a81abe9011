from django.urls import include, path

from . import outbox, quality, ratings, services, views

urlpatterns = [
    path("", views.order_list, name="console-orders"),
    path("orders/<int:pk>/", views.order_page, name="console-order"),
    path("orders/<int:pk>/act/<slug:name>/", views.order_action, name="console-order-action"),
    path("orders/<int:pk>/experts/", views.expert_search, name="console-expert-search"),
    path("flags/", views.flag_list, name="console-flags"),
    path("flags/<int:pk>/resolve/", views.resolve_flag, name="console-flag-resolve"),
    path("appeals/", quality.appeal_list, name="console-appeals"),
    path("appeals/<int:pk>/decide/", quality.decide_appeal, name="console-appeal-decide"),
    path("submissions/<int:pk>/reviewer/", quality.assign_reviewer, name="console-qc-reviewer"),
    path("outbox/", outbox.outbox, name="console-outbox"),
    path("outbox/<int:pk>/", outbox.outbox_message, name="console-outbox-message"),
    path("outbox/<int:pk>/retry/", outbox.outbox_retry, name="console-outbox-retry"),
    path("ratings/", ratings.rating_list, name="console-ratings"),
    path("services/", services.service_list, name="console-services"),
    path("services/on-time/", services.on_time, name="console-on-time"),
    path("services/<slug:slug>/policy/", services.service_policy, name="console-service-policy"),
    path("webhooks/", include("atelier.webhooks.urls")),
]
