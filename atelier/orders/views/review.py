"""QC pages (DESIGN rule 3): the queue of submissions waiting for a reviewer, oldest first, and
the review page where a reviewer approves a submission or sends it back with comments."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.timezone import localtime
from django.views.decorators.http import require_POST

from atelier.accounts.models import User
from atelier.core import clock
from atelier.core.htmx import render_page
from atelier.orders import access, actions, rules
from atelier.orders.clocks import qc_clock
from atelier.orders.models import OrderFile, QCReview, Submission
from atelier.orders.workflow import S

from .common import attempt, paginate

Decision = QCReview.Decision


def waiting_for_qc(reviewer: User) -> QuerySet[Submission]:
    """The latest submission of every order in QC that nobody has reviewed yet: first those
    `reviewer` holds (their rework, their claims), then the free ones, then those another
    reviewer holds; oldest first within each. A reviewer never sees their own work here
    (access.may_review)."""
    newer = Submission.objects.filter(order=OuterRef("order"), number__gt=OuterRef("number"))
    held = Q(order__qc_reviewer__isnull=False, order__qc_claimed_until__gt=clock.now())
    sent_back_by_them = QCReview.objects.filter(
        submission__order=OuterRef("order"), reviewer=reviewer, decision=Decision.REVISE
    )
    return (
        Submission.objects.filter(
            order__status=S.IN_QC, order__qc_required=True, reviews__isnull=True
        )
        .exclude(Exists(newer))
        .exclude(order__expert=reviewer)
        .select_related("order", "order__service", "order__policy", "order__qc_reviewer", "expert")
        .annotate(
            file_count=Count("files"),
            holder=Case(
                When(held & Q(order__qc_reviewer=reviewer), then=Value(0)),
                When(held, then=Value(2)),
                default=Value(1),
            ),
            rework=Exists(sent_back_by_them),
        )
        .order_by("holder", "created_at", "pk")
    )


def _submission_to_review(user: User, pk: int) -> Submission:
    """The submission if `user` may review its order; 403 for someone who may see it but not
    review it (its expert, an agent), as in the API; 404 for everyone else."""
    submission = (
        Submission.objects.select_related(
            "order",
            "order__service",
            "order__policy",
            "order__customer",
            "order__expert",
            "order__qc_reviewer",
            "expert",
        )
        .filter(pk=pk)
        .first()
    )
    if submission is None or not access.can_see_submission(user, submission):
        raise Http404("No such submission.")
    if not access.may_review(user, submission.order):
        raise PermissionDenied("Only QC reviewers review, and never their own work.")
    return submission


class ReviewForm(forms.Form):
    """The scorecard of the order's QC checklist (pass or fail each point, a comment as
    evidence), other points for the expert, and the decision: the button pressed. A decision
    against the card needs a reason (the engine asks for it)."""

    decision = forms.ChoiceField(choices=Decision.choices, required=False)
    # Required for a send-back without a failed point, by the engine, which words the refusal.
    comments = forms.CharField(
        label="Other points for the expert",
        required=False,
        strip=False,
        help_text="One point per line (a pasted list splits at its bullets). Only the expert, "
        "QC and agents see them, never the customer.",
    )
    override_reason = forms.CharField(
        label="Deciding against the scorecard? Say why",
        required=False,
        help_text="Needed to approve with a failed point, or to send back work that passed "
        "every point.",
    )
    scorecard = forms.CharField(required=False, disabled=True)  # where card errors are shown

    def __init__(self, checklist: list[str], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.checklist = checklist
        for n, point in enumerate(checklist):
            self.fields[f"point-{n}"] = forms.ChoiceField(
                label=point,
                choices=[("pass", "Pass"), ("fail", "Fail")],
                widget=forms.RadioSelect,
                required=False,
            )
            self.fields[f"comment-{n}"] = forms.CharField(
                label=f"Evidence for “{point}”", required=False
            )

    def points(self) -> list[dict]:
        """Each checklist point with its bound fields, for the template."""
        return [
            {"point": point, "mark": self[f"point-{n}"], "comment": self[f"comment-{n}"]}
            for n, point in enumerate(self.checklist)
        ]

    def marks(self) -> list[rules.Mark]:
        """The points marked (an unmarked one is the engine's to refuse)."""
        data = self.cleaned_data
        return [
            rules.Mark(point, data[f"point-{n}"] == "pass", data[f"comment-{n}"])
            for n, point in enumerate(self.checklist)
            if data.get(f"point-{n}")
        ]


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
    checklist = submission.order.policy.qc_checklist
    form = ReviewForm(checklist)
    if request.method == "POST":
        form = ReviewForm(checklist, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            review = attempt(
                request,
                lambda: actions.review_submission(
                    submission,
                    actor=request.user,
                    decision=data["decision"] or None,
                    comments=data["comments"],
                    scorecard=form.marks(),
                    override_reason=data["override_reason"],
                ),
                form,
            )
            if review is not None:
                messages.success(request, _done_message(review))
                return redirect("qc-queue")
    return render(
        request, "orders/review/review.html", _review_context(submission) | {"form": form}
    )


@login_required
@require_POST
def qc_claim(request: HttpRequest, pk: int) -> HttpResponse:
    """Claim a submission from the queue (or, with `release`, put it back)."""
    submission = _submission_to_review(request.user, pk)
    release = request.POST.get("release") == "1"
    act = actions.release_review if release else actions.claim_review
    order = attempt(request, lambda: act(submission, actor=request.user))
    if order is not None and not release:
        until = localtime(order.qc_claimed_until).strftime("%H:%M %Z")
        messages.success(request, f"It is yours to review until {until}.")
        return redirect("qc-review", submission.pk)
    if order is not None:
        messages.success(request, f"“{order.title}” is back in the queue for any reviewer.")
    return redirect("qc-queue")


def _done_message(review: QCReview) -> str:
    title = review.submission.order.title
    if review.decision == Decision.APPROVE:
        return f"Approved: the customer can now see the delivery of “{title}”."
    return f"Sent back: the expert has your comments on “{title}”."


def _claim(order) -> dict | None:
    """Who holds the order's submission in QC, and until when (None: nobody)."""
    if order.qc_reviewer_id is None or order.qc_claimed_until is None:
        return None
    if order.qc_claimed_until <= clock.now():
        return None
    return {"reviewer": order.qc_reviewer, "until": order.qc_claimed_until}


def _review_context(submission: Submission) -> dict:
    order = submission.order
    history = list(
        order.submissions.exclude(pk=submission.pk)
        .select_related("expert")
        .prefetch_related(
            "files", "reviews__reviewer", "reviews__items", "reviews__appeal", "answered_items"
        )
        .order_by("-number")
    )
    reviews = list(submission.reviews.select_related("reviewer").prefetch_related("items"))
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
            .prefetch_related("files", "items")
            .order_by("-created_at")
        ),
        "history": history,
        "answered": list(submission.answered_items.order_by("created_at", "position")),
        "claim": _claim(order),
        "review": reviews[0] if reviews else None,
        "is_latest": submission.number == latest_number,
        "waiting": order.status == S.IN_QC and not reviews and submission.number == latest_number,
    }
