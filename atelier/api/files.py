"""`GET /files/{id}`: a download, streamed, after the same permission check as the pages; or
with a signed link (as sent in webhooks), which works without logging in until it expires."""

from django.http import HttpRequest
from ninja import Router
from ninja.errors import AuthenticationError

from atelier.core.errors import NotFound
from atelier.documents.downloads import file_response
from atelier.documents.links import signature_allows
from atelier.orders import access, actions
from atelier.orders.models import OrderFile

from .security import AUTH

router = Router(tags=["files"])
BINARY = {"type": "string", "format": "binary"}


@router.get(
    "/files/{int:file_id}",
    auth=None,
    url_name="download_file",
    summary="Download a file (streamed)",
    openapi_extra={
        "parameters": [
            {
                "name": "signature",
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "description": "A signed link's signature (webhooks); no login needed with it.",
            }
        ],
        "security": [{"BearerToken": []}, {"Session": []}, {}],
        "responses": {
            200: {
                "description": "The file's bytes, with the file's own content type",
                "content": {"*/*": {"schema": BINARY}},
            },
            302: {"description": "With S3 storage: a redirect to a link valid 60 seconds."},
        },
    },
)
def download_file(request: HttpRequest, file_id: int):
    signature = request.GET.get("signature")
    if signature:
        if not signature_allows(file_id, signature):
            raise NotFound("This link is not valid, or it has expired.", code="link_invalid")
        file = OrderFile.objects.filter(pk=file_id).first()
        if file is None:
            raise NotFound("No such file.")
        return file_response(file)
    user = next((u for u in (auth(request) for auth in AUTH) if u is not None), None)
    if user is None:
        raise AuthenticationError()
    file = access.get_file_for(user, file_id)
    actions.mark_file_opened(file, actor=user)
    return file_response(file)
