from django.urls import path

from atelier.orders.views.customer import home

urlpatterns = [
    path("", home, name="home"),
]
