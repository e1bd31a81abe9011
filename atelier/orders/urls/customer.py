from django.urls import path

from atelier.core.placeholder import not_built_yet

from ..views import customer as views

urlpatterns = [
    path("orders/new/", not_built_yet, name="order-new"),
    path("orders/<int:pk>/", views.order_detail, name="order-detail"),
    path("files/<int:pk>/", views.download_file, name="file-download"),
    path("link/<str:token>/", views.access_link, name="access-link"),
]
