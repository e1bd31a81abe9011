from django.urls import path

from . import views

urlpatterns = [
    path("orders/<int:pk>/", views.order_detail, name="order-detail"),
    path("files/<int:pk>/", views.download_file, name="file-download"),
    path("link/<str:token>/", views.access_link, name="access-link"),
]
