from django.urls import path

from ..views import expert as views

urlpatterns = [
    path("work/", views.dashboard, name="expert-dashboard"),
    path("work/ratings/", views.my_ratings, name="expert-ratings"),
    path("invitations/<int:pk>/", views.invitation_detail, name="invitation-detail"),
    path("invitations/<int:pk>/accept/", views.invitation_accept, name="invitation-accept"),
    path("invitations/<int:pk>/decline/", views.invitation_decline, name="invitation-decline"),
    path("orders/<int:pk>/submissions/", views.submission_create, name="submission-create"),
    path("orders/<int:pk>/close/", views.order_close, name="order-close"),
    path("orders/<int:pk>/close/request/", views.order_request_close, name="order-request-close"),
    path("orders/<int:pk>/flags/", views.order_flag, name="order-flag"),
    path("orders/<int:pk>/fee-requests/", views.order_fee_request, name="order-fee-request"),
    path("orders/<int:pk>/extension/", views.order_extension, name="order-extension"),
    path("orders/<int:pk>/appeal/", views.order_appeal, name="order-appeal"),
]
