"""The expert's pages: the dashboard, invitations, and the actions of the order page's "Your work"
tab (submit, close with a farewell, request close, flag, ask for a fee).

Every POST redirects to the order page's work tab with a success line, or re-renders its form with
the engine's refusal beside the field it names. Who may act is decided by access.py (a person who
may see the order but not act gets 403 and the reason; anyone else 404) and again by the action.
"""

from collections.abc import Sequence

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from atelier.core.errors import Conflict, DomainError, NotAllowed, NotFound
from atelier.core.htmx import is_htmx, render_page
from atelier.core.keyset import cursor_listing
from atelier.orders import access, actions, expert_dashboard, queries, ratings
from atelier.orders.forms import ExtensionForm
from atelier.orders.models import Flag, Invitation, Order, RevisionItem
from atelier.orders.views.common import attempt, order_or_404, paginate
from atelier.rewards import services as rewards

# --- forms: shape only; the rules live in the actions ------------------------------------------


class SubmissionForm(forms.Form):
    """Files and their titles arrive as two repeated fields in the same order (as in the API):
    `files` and `titles`. The page renders them as rows of one file input and one title each."""

    notes = forms.CharField(required=False, widget=forms.Textarea)
    # Declared so that errors about them (from the action) land beside the rows.
    files = forms.Field(required=False)
    titles = forms.Field(required=False)
    addressed = forms.Field(required=False)

    def __init__(self, *args, items: Sequence[RevisionItem] = (), **kwargs):
        """`items`: the points this round answers (queries.open_items): for each, a box
        `addressed` (repeated, the item's id) and a note `note-<id>`."""
        super().__init__(*args, **kwargs)
        self.items = list(items)

    def clean_addressed(self) -> set[int]:
        try:
            return {int(pk) for pk in self.data.getlist("addressed")}
        except ValueError:
            raise forms.ValidationError("Tick only the points shown.") from None

    def item_rows(self) -> list[tuple[RevisionItem, bool, str]]:
        """Each point with its box and note as typed, or as a previous round answered it."""
        if not self.is_bound:
            return [(item, item.addressed, item.note) for item in self.items]
        ticked = set(self.data.getlist("addressed"))
        return [
            (item, str(item.pk) in ticked, self.data.get(f"note-{item.pk}", ""))
            for item in self.items
        ]

    def clean(self):
        self.cleaned_data["item_notes"] = {
            item.pk: self.data.get(f"note-{item.pk}", "") for item in self.items
        }
        chosen = self.files.getlist("files")
        titles = [title.strip() for title in self.data.getlist("titles")]
        if len(titles) != len(chosen):
            # Without JavaScript every row sends its title box, but a row with no file chosen
            # sends no file: drop the blank titles of unused rows.
            titles = [title for title in titles if title]
        if len(titles) != len(chosen):
            self.add_error("titles", "Give each file its own title, and leave unused rows empty.")
        else:
            self.cleaned_data["uploads"] = [
                actions.Upload(file, title) for file, title in zip(chosen, titles, strict=True)
            ]
        return self.cleaned_data

    def titles_for_rows(self, minimum: int = 3) -> list[str]:
        """The titles typed so far, padded with empty rows, to re-render the form."""
        titles = self.data.getlist("titles") if self.is_bound else []
        return titles + [""] * max(0, minimum - len(titles))


class DeclineForm(forms.Form):
    reason = forms.CharField(required=False, widget=forms.Textarea, max_length=1000)


class FarewellForm(forms.Form):
    message = forms.CharField(required=False, widget=forms.Textarea, strip=False)


class RequestCloseForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea, max_length=5000)


class AppealForm(forms.Form):
    reason = forms.CharField(required=False, widget=forms.Textarea)


class FlagForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            (Flag.Kind.EXCESSIVE_REVISIONS, "Excessive revisions"),
            (Flag.Kind.COMPLETION_REQUEST, "Ask an agent to complete the order"),
            (Flag.Kind.CONCERN, "Raise a concern"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what to tell the agents."},
    )
    note = forms.CharField(required=False, widget=forms.Textarea)


class FeeForm(forms.Form):
    amount = forms.CharField(required=False, max_length=20)
    reason = forms.CharField(required=False, widget=forms.Textarea)


# --- helpers ------------------------------------------------------------------------------------


def _work_url(order: Order) -> str:
    return reverse("order-detail", args=[order.pk]) + "?tab=work#work"


def _done(request: HttpRequest, url: str, message: str) -> HttpResponse:
    """POST-redirect-GET with a success line; a script's request (upload.js) gets the address."""
    messages.success(request, message)
    if is_htmx(request):
        return HttpResponse(status=204, headers={"HX-Redirect": url})
    return redirect(url)


def _forbidden(request: HttpRequest, order: Order, message: str) -> HttpResponse:
    context = {"order": order, "message": message}
    return render(request, "orders/expert/forbidden.html", context, status=403)


def _status(request: HttpRequest) -> int:
    return 400 if request.method == "POST" else 200


def _invitation_or_404(request: HttpRequest, pk: int) -> Invitation:
    try:
        return access.get_invitation_for(request.user, pk)
    except NotFound:
        raise Http404("No such invitation.") from None


# --- the dashboard ------------------------------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    if not request.user.is_expert:
        raise Http404("No such page.")  # as the QC queue and the console for other roles
    slug = request.GET.get("group")
    groups = expert_dashboard.expert_dashboard(request.user, all_done=slug == "done")
    if slug:
        # One group alone, paginated: a busy expert's hundreds of orders never make one page.
        group = next((g for g in groups if g.slug == slug), None)
        if group is None:
            raise Http404("No such group.")
        context = {"group": group, "page": paginate(request, group.rows)}
        return render(request, "orders/expert/dashboard_group.html", context)
    context = {
        "groups": groups,
        "limit": expert_dashboard.SECTION_LIMIT,
        "balances": rewards.balances(request.user),
    }
    return render(request, "orders/expert/dashboard.html", context)


RATINGS_PER_PAGE = 25


@login_required
def my_ratings(request: HttpRequest) -> HttpResponse:
    """The expert's ratings: average, count and spread, then the latest, newest first."""
    if not request.user.is_expert:
        raise Http404("No such page.")  # as the dashboard
    mine = ratings.expert_ratings(request.user)
    listing, status = cursor_listing(request, mine, per_page=RATINGS_PER_PAGE)
    context = {"summary": ratings.summary(mine), **listing}
    return render_page(
        request, "orders/expert/ratings.html", context, partial="results", status=status
    )


# --- invitations (DESIGN rule 1) ----------------------------------------------------------------


def _taken(request: HttpRequest, status: int = 200) -> HttpResponse:
    # No order details: a pro who missed the order has lost access to it.
    return render(request, "orders/expert/invitation_closed.html", {"why": "taken"}, status=status)


def _invitation_page(
    request: HttpRequest, invitation: Invitation, form: DeclineForm | None = None, status: int = 200
) -> HttpResponse:
    if invitation.status == Invitation.Status.TAKEN:
        return _taken(request, status)
    if invitation.status != Invitation.Status.PENDING:
        return render(
            request,
            "orders/expert/invitation_closed.html",
            {"why": invitation.status, "invitation": invitation},
            status=status,
        )
    context = {"invitation": invitation, "order": invitation.order, "form": form or DeclineForm()}
    return render(request, "orders/expert/invitation.html", context, status=status)


@login_required
def invitation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = _invitation_or_404(request, pk)
    if invitation.status == Invitation.Status.ACCEPTED and access.can_see_order(
        request.user, invitation.order
    ):
        return redirect("order-detail", pk=invitation.order_id)
    return _invitation_page(request, invitation)


@login_required
@require_POST
def invitation_accept(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = _invitation_or_404(request, pk)
    try:
        order = actions.accept_invitation(invitation, actor=request.user)
    except NotFound:
        raise Http404("No such invitation.") from None
    except NotAllowed as error:  # an agent: they see the invitation, but assign instead
        raise PermissionDenied(error.message) from None
    except Conflict as error:
        if error.code == "taken":
            return _taken(request, status=409)
        messages.error(request, error.message)
        invitation.refresh_from_db()
        return _invitation_page(request, invitation, status=409)
    messages.success(request, f"You accepted “{order.title}”: it is yours now.")
    return redirect("order-detail", pk=order.pk)


@login_required
@require_POST
def invitation_decline(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = _invitation_or_404(request, pk)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            actions.decline_invitation(
                invitation, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except NotFound:
            raise Http404("No such invitation.") from None
        except NotAllowed as error:
            raise PermissionDenied(error.message) from None
        except DomainError as error:
            if error.code == "taken":
                return _taken(request, status=409)
            form.add_error(None, error.message)
        else:
            messages.success(request, f"You declined “{invitation.order.title}”.")
            return redirect("expert-dashboard")
    invitation.refresh_from_db()
    return _invitation_page(request, invitation, form, status=400)


# --- the "Your work" tab's actions --------------------------------------------------------------


@login_required
def submission_create(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_or_404(request, pk)
    if not access.may_submit(request.user, order):
        return _forbidden(request, order, "Only the order's expert submits work.")
    posted = request.method == "POST"
    form = SubmissionForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        items=queries.open_items(order),
    )
    if request.method == "POST" and form.is_valid():
        submission = attempt(
            request,
            lambda: actions.submit_work(
                order,
                actor=request.user,
                files=form.cleaned_data["uploads"],
                notes=form.cleaned_data["notes"],
                addressed=form.cleaned_data["addressed"],
                item_notes=form.cleaned_data["item_notes"],
            ),
            form,
        )
        if submission is not None:
            where = "sent to QC" if order.qc_required else "delivered to the customer"
            count = len(form.cleaned_data["uploads"])
            files = f"{count} file{'s' if count != 1 else ''}"
            return _done(
                request,
                _work_url(order),
                f"{submission.get_kind_display()} #{submission.number} ({files}) {where}.",
            )
    context = {
        "order": order,
        "upload_form": form,
        "upload_rows": form.titles_for_rows(),
        "upload_items": form.item_rows(),
    }
    return render_page(
        request, "orders/expert/submit.html", context, partial="upload", status=_status(request)
    )


def _close_page(
    request: HttpRequest,
    order: Order,
    *,
    form: FarewellForm | None = None,
    request_form: RequestCloseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    info = actions.close_info(order, actor=request.user)
    context = {
        "order": order,
        "close": info,
        "form": form or FarewellForm(initial={"message": info.farewell_template}),
        "request_form": request_form or RequestCloseForm(),
    }
    return render(request, "orders/expert/close.html", context, status=status)


@login_required
def order_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Rule 8: the confirmation page (final documents, farewell editor), and the close itself."""
    order = order_or_404(request, pk)
    if not access.may_close(request.user, order):
        return _forbidden(request, order, "Only the order's expert or an agent closes it.")
    if request.method != "POST":
        return _close_page(request, order)
    form = FarewellForm(request.POST)
    if form.is_valid() and attempt(
        request,
        lambda: actions.close_order(
            order, actor=request.user, message=form.cleaned_data["message"]
        ),
        form,
    ):
        return _done(request, _work_url(order), "Order closed. Your farewell is on its way.")
    order.refresh_from_db()
    return _close_page(request, order, form=form, status=400)


@login_required
@require_POST
def order_request_close(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_or_404(request, pk)
    if not access.may_request_close(request.user, order):
        return _forbidden(request, order, "Only the order's expert asks to close it.")
    form = RequestCloseForm(request.POST)
    if form.is_valid() and attempt(
        request,
        lambda: actions.request_close(order, actor=request.user, note=form.cleaned_data["note"]),
        form,
    ):
        return _done(request, _work_url(order), "An agent has been asked to close this order.")
    return _close_page(request, order, request_form=form, status=400)


@login_required
def order_flag(request: HttpRequest, pk: int) -> HttpResponse:
    """Flag excessive revisions, ask an agent to complete, or raise a concern."""
    order = order_or_404(request, pk)
    if not access.may_flag(request.user, order, Flag.Kind.EXCESSIVE_REVISIONS):
        return _forbidden(request, order, "Only the order's expert raises these flags.")
    form = FlagForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        flag = attempt(
            request,
            lambda: actions.raise_flag(
                order,
                actor=request.user,
                kind=form.cleaned_data["kind"],
                note=form.cleaned_data["note"],
            ),
            form,
        )
        if flag is not None:
            return _done(
                request, _work_url(order), f"{flag.get_kind_display()}: an agent will look at it."
            )
    context = {"order": order, "form": form}
    return render(request, "orders/expert/flag.html", context, status=_status(request))


@login_required
def order_fee_request(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_or_404(request, pk)
    if not access.may_request_fee(request.user, order):
        return _forbidden(request, order, "Only the order's expert asks for a fee.")
    form = FeeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        fee = attempt(
            request,
            lambda: actions.request_fee(
                order,
                actor=request.user,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
            ),
            form,
        )
        if fee is not None:
            return _done(
                request,
                _work_url(order),
                f"Fee of {fee.amount} {fee.currency} requested: an agent decides.",
            )
    context = {"order": order, "form": form}
    return render(request, "orders/expert/fee.html", context, status=_status(request))


@login_required
def order_extension(request: HttpRequest, pk: int) -> HttpResponse:
    """The expert asks for more time: a new due date and why (once per delivery round)."""
    order = order_or_404(request, pk)
    if not access.may_request_extension(request.user, order):
        return _forbidden(request, order, "Only the order's expert asks for more time.")
    form = ExtensionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        extension = attempt(
            request,
            lambda: actions.request_extension(
                order,
                actor=request.user,
                due_at=form.cleaned_data["due_at"],
                reason=form.cleaned_data["reason"],
            ),
            form,
        )
        if extension is not None:
            return _done(request, _work_url(order), "More time asked for: the customer answers.")
    context = {"order": order, "form": form}
    return render(request, "orders/expert/extension.html", context, status=_status(request))


@login_required
def order_appeal(request: HttpRequest, pk: int) -> HttpResponse:
    """The expert appeals QC's latest send-back, once, with a reason: an agent decides. The
    action refuses a round that was not sent back, or was appealed already."""
    order = order_or_404(request, pk)
    if not access.may_appeal(request.user, order):
        return _forbidden(request, order, "Only the order's expert appeals QC's decision.")
    review = actions.appealable_review(order)
    latest = review.submission if review else order.submissions.order_by("-number").first()
    form = AppealForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if latest is None:
            form.add_error(None, "QC has not reviewed any of your work yet.")
        elif attempt(
            request,
            lambda: actions.appeal_review(
                latest, actor=request.user, reason=form.cleaned_data["reason"]
            ),
            form,
        ):
            return _done(
                request,
                reverse("order-detail", args=[order.pk]) + "?tab=work#work-qc",
                "Your appeal is with the agents: they uphold QC's send-back or overturn it.",
            )
    context = {"order": order, "form": form, "review": review}
    return render(request, "orders/expert/appeal.html", context, status=_status(request))
