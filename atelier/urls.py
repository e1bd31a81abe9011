from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path, re_path

from atelier.api.api import api, unknown_endpoint
from atelier.orders.views.customer import home

admin.site.site_header = "Atelier administration"
admin.site.site_title = "Atelier"

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("atelier.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("atelier.orders.urls")),
    path("console/", include("atelier.backoffice.urls")),
    path("inbox/", include("atelier.inbox.urls")),
    # The admin's own login form would skip the login limits and the second factor: one way in.
    path("admin/login/", lambda request: redirect_to_login(request.GET.get("next") or "/admin/")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/", unknown_endpoint),  # any other path, a newline (%0A) in it too
]
