"""QC pages (DESIGN rule 3): the queue of submissions waiting for a reviewer, oldest first, and
the review page where a reviewer approves a submission or sends it back with comments."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from atelier.accounts.models import User
from atelier.core import clock
from atelier.core.htmx import render_page
from atelier.orders import access, actions
from atelier.orders.clocks import qc_clock
from atelier.orders.models import OrderFile, QCReview, Submission
from atelier.orders.workflow import S

from .common import attempt, paginate

Decision = QCReview.Decision


def waiting_for_qc(reviewer: User) -> QuerySet[Submission]:
    """The latest submission of every order in QC that nobody has reviewed yet, oldest first.
    A reviewer never sees their own work here (access.may_review)."""
    newer = Submission.objects.filter(order=OuterRef("order"), number__gt=OuterRef("number"))
    return (
        Submission.objects.filter(
            order__status=S.IN_QC, order__qc_required=True, reviews__isnull=True
        )
        .exclude(Exists(newer))
        .exclude(order__expert=reviewer)
        .select_related("order", "order__service", "order__policy", "expert")
        .annotate(file_count=Count("files"))
        .order_by("created_at", "pk")
    )


def _submission_to_review(user: User, pk: int) -> Submission:
    """The submission if `user` may review its order; 403 for someone who may see it but not
    review it (its expert, an agent), as in the API; 404 for everyone else."""
    submission = (
        Submission.objects.select_related(
            "order", "order__service", "order__customer", "order__expert", "expert"
        )
        .filter(pk=pk)
        .first()
    )
    if submission is None or not access.can_see_submission(user, submission):
        raise Http404("No such submission.")
    if not access.may_review(user, submission.order):
        raise PermissionDenied("Only QC reviewers review, and never their own work.")
    return submission


class ApproveForm(forms.Form):
    """Approving takes nothing but the click."""


class ReviseForm(forms.Form):
    # Required, but by the engine, which words the refusal (the template marks it required).
    comments = forms.CharField(
        label="What should the expert change?",
        required=False,
        strip=False,
        help_text="Only the expert and other reviewers see these comments, never the customer.",
    )


@login_required
def qc_queue(request: HttpRequest) -> HttpResponse:
    if not request.user.is_reviewer:
        raise Http404("No such page.")
    page = paginate(request, waiting_for_qc(request.user))
    now = clock.now()
    for submission in page:
        hours = submission.order.policy.qc_turnaround_hours
        submission.qc_clock = qc_clock(submission.created_at, hours, now=now)
    return render_page(request, "orders/review/queue.html", {"page": page}, partial="queue")


@login_required
def qc_review(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _submission_to_review(request.user, pk)
    approve_form, revise_form = ApproveForm(), ReviseForm()
    failed = None
    if request.method == "POST":
        decision = request.POST.get("decision", "")
        if decision == Decision.REVISE:
            failed = revise_form = ReviseForm(request.POST)
        else:
            failed = approve_form = ApproveForm(request.POST)
        if failed.is_valid():
            review = attempt(
                request,
                lambda: actions.review_submission(
                    submission,
                    actor=request.user,
                    decision=decision,
                    comments=failed.cleaned_data.get("comments", ""),
                ),
                failed,
            )
            if review is not None:
                messages.success(request, _done_message(review))
                return redirect("qc-queue")
    return render(
        request,
        "orders/review/review.html",
        _review_context(submission)
        | {"approve_form": approve_form, "revise_form": revise_form, "failed": failed},
    )


def _done_message(review: QCReview) -> str:
    title = review.submission.order.title
    if review.decision == Decision.APPROVE:
        return f"Approved: the customer can now see the delivery of “{title}”."
    return f"Sent back: the expert has your comments on “{title}”."


def _review_context(submission: Submission) -> dict:
    order = submission.order
    history = list(
        order.submissions.exclude(pk=submission.pk)
        .select_related("expert")
        .prefetch_related("files", "reviews__reviewer")
        .order_by("-number")
    )
    reviews = list(submission.reviews.select_related("reviewer"))
    latest_number = max([submission.number, *(s.number for s in history)])
    return {
        "order": order,
        "submission": submission,
        "files": list(submission.files.all()),
        "documents": list(
            OrderFile.objects.filter(
                order=order, submission=None, revision_request=None, comment=None
            )
        ),
        "revision_requests": list(
            order.revision_requests.select_related("requested_by")
            .prefetch_related("files")
            .order_by("-created_at")
        ),
        "history": history,
        "review": reviews[0] if reviews else None,
        "is_latest": submission.number == latest_number,
        "waiting": order.status == S.IN_QC and not reviews and submission.number == latest_number,
    }
