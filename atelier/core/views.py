from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from atelier.orders.queries import orders_for_home


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"orders": orders_for_home(request.user)})
