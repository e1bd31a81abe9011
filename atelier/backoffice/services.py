"""The services and their policies: what agents promise customers and experts, and what QC checks
(the checklist), edited here (and over the API); a change applies to orders placed from then on.
And how well the promise of a due date is kept: on-time rates per service and per expert."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from atelier.accounts.decorators import agent_required
from atelier.catalog.checklists import MAX_POINT_LENGTH, MAX_POINTS
from atelier.catalog.models import Policy, Service
from atelier.catalog.services import change_policy
from atelier.core.errors import InvalidInput
from atelier.orders.views.common import paginate

from . import queries


class PolicyForm(forms.ModelForm):
    flow = forms.ChoiceField(
        choices=Service.Flow.choices,
        help_text="Sets who assigns, whether QC is required and who closes.",
    )
    qc_checklist = forms.CharField(
        label="QC checklist",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=f"What a reviewer marks pass or fail on every submission: one point per line "
        f"(blank lines are ignored), at most {MAX_POINTS} points of {MAX_POINT_LENGTH} "
        "characters each. Empty: reviewers decide without a scorecard.",
    )

    class Meta:
        model = Policy
        fields = ("flow", *Policy.EDITABLE)
        labels = {
            "included_revisions": "Included revisions",
            "turnaround_days": "Turnaround (days)",
            "closing_delay_days": "Closing delay (days)",
            "late_revision_days": "Late-revision delay (days)",
            "reward_hold_days": "Reward hold (days)",
            "reminder_days": "Reminder delay (days)",
            "auto_complete_days": "Auto-complete delay (days, 0 = never)",
            "qc_turnaround_hours": "QC turnaround (hours)",
        }

    def clean_qc_checklist(self) -> list[str] | None:
        """One point per line; the engine (clean_checklist) tidies and checks them. Not posted
        at all: unchanged (None), where an empty textarea empties the checklist."""
        if "qc_checklist" not in self.data:
            return None
        return self.cleaned_data["qc_checklist"].splitlines()


@agent_required
def service_list(request: HttpRequest) -> HttpResponse:
    services = Service.objects.select_related("policy").order_by("name")
    return render(request, "backoffice/services.html", {"services": services})


@agent_required
def service_policy(request: HttpRequest, slug: str) -> HttpResponse:
    service = Service.objects.select_related("policy").filter(slug=slug).first()
    if service is None:
        raise Http404("No such service.")
    form = PolicyForm(
        request.POST or None,
        instance=Policy(**service.policy.values()),
        initial={"flow": service.flow, "qc_checklist": "\n".join(service.policy.qc_checklist)},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                change_policy(service, actor=request.user, **form.cleaned_data)
            except InvalidInput as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(
                    request,
                    f"{service.name}: the new policy applies to orders placed from now on; "
                    "orders placed before keep theirs.",
                )
                return redirect("console-services")
        status = 400
    context = {"service": service, "form": form}
    return render(request, "backoffice/service_policy.html", context, status=status)


@agent_required
def on_time(request: HttpRequest) -> HttpResponse:
    """How often first deliveries meet their due date, per service and per expert."""
    context = {
        "services": queries.on_time_rates("order__service__name"),
        "experts": paginate(request, queries.on_time_rates("expert__email", "expert__name"), 50),
    }
    return render(request, "backoffice/on_time.html", context)
