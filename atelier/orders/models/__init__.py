from .access_link import AccessLink
from .comment import Comment
from .event import Event
from .extension import ExtensionRequest
from .fee import FeeRequest
from .file import OrderFile
from .flag import Flag
from .invitation import Invitation
from .order import FLOW_PRESETS, Order
from .quality import Appeal, Rating, RevisionItem
from .review import QCReview
from .revision import RevisionRequest
from .submission import Submission

__all__ = [
    "FLOW_PRESETS",
    "AccessLink",
    "Appeal",
    "Comment",
    "Event",
    "ExtensionRequest",
    "FeeRequest",
    "Flag",
    "Invitation",
    "Order",
    "OrderFile",
    "QCReview",
    "Rating",
    "RevisionItem",
    "RevisionRequest",
    "Submission",
]
