"""Atelier's URLs and /bench/hello/: the baseline of bench/pages.py, through the same middleware."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Hello")


urlpatterns = [path("bench/hello/", hello), path("", include("atelier.urls"))]
