"""TEMPORARY: a page not built yet, so that navigation resolves while pages are written."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def not_built_yet(request, *args, **kwargs):
    return HttpResponse("Not built yet.", status=501)
