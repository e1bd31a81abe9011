"""`/services`: what customers may order, each with its policy (allowances and clocks); agents
change a policy, which applies to orders placed from then on."""

from typing import Literal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import HttpRequest
from ninja import Field, Router, Schema

from atelier.catalog.models import Policy, Service
from atelier.catalog.services import change_policy
from atelier.core.errors import NotFound
from atelier.orders.models import FLOW_PRESETS

from . import schemas as s

router = Router(tags=["services"])


class PolicyOut(Schema):
    version: int = Field(..., description="Each change makes a new version; orders keep theirs.")
    included_revisions: int
    turnaround_days: int = Field(..., description="Sets a new order's default due date.")
    closing_delay_days: int
    late_revision_days: int
    reward_hold_days: int
    reminder_days: int
    auto_complete_days: int = Field(..., description="0: orders never complete by themselves.")
    qc_turnaround_hours: int
    qc_checklist: list[str] = Field(
        ..., description="What QC checks, point by point: the scorecard of every review."
    )


class ServiceOut(Schema):
    slug: str
    name: str
    description: str
    flow: str = Field(..., description="Sets who assigns, whether QC is required, who closes.")
    qc_required: bool = Field(..., description="From the flow: a reviewer checks each submission.")
    expert_may_close: bool = Field(..., description="From the flow: the expert closes (hub).")
    revision_triage: bool
    policy: PolicyOut


def _within_the_models_limits(name: str):
    """An optional whole number within the limits the policy model validates (published in
    the OpenAPI document; the model stays the one place they are set)."""
    validators = Policy._meta.get_field(name).validators
    least = max(v.limit_value for v in validators if isinstance(v, MinValueValidator))
    most = min(v.limit_value for v in validators if isinstance(v, MaxValueValidator))
    return Field(None, ge=least, le=most)


class PolicyIn(s.Input):
    """Only the fields to change; the others keep their values."""

    flow: Literal["writer_portal", "expert_hub", "marketplace"] | None = Field(
        None, description="The flow of orders placed from now on (QC, who closes)."
    )
    included_revisions: int | None = _within_the_models_limits("included_revisions")
    turnaround_days: int | None = _within_the_models_limits("turnaround_days")
    closing_delay_days: int | None = _within_the_models_limits("closing_delay_days")
    late_revision_days: int | None = _within_the_models_limits("late_revision_days")
    reward_hold_days: int | None = _within_the_models_limits("reward_hold_days")
    reminder_days: int | None = _within_the_models_limits("reminder_days")
    auto_complete_days: int | None = _within_the_models_limits("auto_complete_days")
    qc_turnaround_hours: int | None = _within_the_models_limits("qc_turnaround_hours")
    qc_checklist: list[s.ChecklistPoint] | None = Field(
        None,
        max_length=s.MAX_POINTS,
        description="The whole QC checklist, one point per entry (blank ones dropped, each "
        "once); [] for none.",
    )


def policy_out(policy: Policy) -> dict:
    return {"version": policy.pk, **policy.values(), "qc_checklist": policy.qc_checklist}


def _service_out(service: Service) -> dict:
    return {
        "slug": service.slug,
        "name": service.name,
        "description": service.description,
        "flow": service.flow,
        "qc_required": FLOW_PRESETS[service.flow]["qc_required"],
        "expert_may_close": FLOW_PRESETS[service.flow]["expert_may_close"],
        "revision_triage": service.revision_triage,
        "policy": policy_out(service.policy),
    }


@router.get("/services", response=list[ServiceOut], summary="Services and their policies")
def services(request: HttpRequest):
    """Every service on offer (agents also see those withdrawn)."""
    offered = Service.objects.select_related("policy")
    if not request.auth.is_agent:
        offered = offered.filter(is_active=True)
    return [_service_out(service) for service in offered]


@router.patch(
    "/services/{slug}/policy", response=ServiceOut, summary="Change a service's policy (agents)"
)
def update_policy(request: HttpRequest, slug: str, payload: PolicyIn):
    """A new version of the policy (and the flow); orders placed before keep what they were
    placed under. Answers the service as it is now."""
    service = Service.objects.filter(slug=slug).first()
    if service is None or not (service.is_active or request.auth.is_agent):
        raise NotFound("There is no such service.")
    change_policy(service, actor=request.auth, **payload.model_dump(exclude_none=True))
    return _service_out(Service.objects.select_related("policy").get(pk=service.pk))
