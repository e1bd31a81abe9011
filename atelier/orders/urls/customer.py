from django.urls import path

from ..views import customer as views

urlpatterns = [
    path("orders/new/", views.order_new, name="order-new"),
    path("orders/<int:pk>/", views.order_detail, name="order-detail"),
    path("orders/<int:pk>/revision/", views.order_revision, name="order-revision"),
    path("orders/<int:pk>/complete/", views.order_complete, name="order-complete"),
    path("orders/<int:pk>/rating/", views.order_rate, name="order-rate"),
    path("orders/<int:pk>/comments/", views.order_comment, name="order-comment"),
    path("orders/<int:pk>/documents/", views.order_attachments, name="order-attachments"),
    path("orders/<int:pk>/fees/<int:fee_pk>/", views.fee_respond, name="fee-respond"),
    path(
        "orders/<int:pk>/extensions/<int:extension_pk>/",
        views.extension_answer,
        name="extension-answer",
    ),
    path("orders/<int:pk>/final/", views.order_final, name="order-final"),
    path("orders/<int:pk>/final/documents.zip", views.order_final_zip, name="order-final-zip"),
    path("files/<int:pk>/", views.download_file, name="file-download"),
    path("link/<str:token>/", views.access_link, name="access-link"),
    path("link/<str:token>/code/", views.access_link_code, name="access-link-code"),
]
