"""A refused upload on the web pages: a clear page with the reason, not a server error.

StreamingUploadHandler refuses a file over the size limit (413), or too many files (400), while
Django parses the request body, which for a page's form first happens in the CSRF check. This
middleware, just before it, reads the body itself and answers a refusal with a page naming the
file and the limit (upload.js shows the same message beside the form). The API's views are
CSRF-exempt and read the body themselves: ninja answers the refusal in the API's JSON shape.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from atelier.core.errors import DomainError


class UploadRefusalMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if (
            request.method != "POST"
            or request.content_type != "multipart/form-data"
            or getattr(view_func, "csrf_exempt", False)
        ):
            return None
        try:
            request.POST  # noqa: B018 (parses the body: files stream to disk)
        except DomainError as refusal:
            back = request.headers.get("referer", "")
            if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
                back = ""
            context = {"message": refusal.message, "back": back}
            return render(request, "upload_refused.html", context, status=refusal.status)
        return None
