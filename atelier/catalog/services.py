"""Changing what a service promises: its policy is data agents edit (console and API)."""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction

from atelier.core.errors import InvalidInput, NotAllowed

from .checklists import MAX_POINT_LENGTH, MAX_POINTS
from .models import Policy, Service


@transaction.atomic
def change_policy(
    service: Service,
    *,
    actor,
    flow: str | None = None,
    qc_checklist: Sequence[str] | None = None,
    **values: int,
) -> Policy:
    """A new version of `service`'s policy with `values` (and its QC checklist) changed, and its
    `flow` (which sets whether QC is required and who closes); orders placed before keep theirs.
    Unchanged values are not a new version. InvalidInput names the first bad field."""
    if actor is not None and not actor.is_agent:
        raise NotAllowed("Only agents change a service's policy.")
    unknown = set(values) - set(Policy.EDITABLE)
    if unknown:
        raise InvalidInput(f"Unknown policy field: {sorted(unknown)[0]}.", field=sorted(unknown)[0])
    service = Service.objects.select_for_update().select_related("policy").get(pk=service.pk)
    if flow is not None:
        if flow not in Service.Flow.values:
            raise InvalidInput(
                "Choose a flow: writer_portal, expert_hub or marketplace.", field="flow"
            )
        Service.objects.filter(pk=service.pk).update(flow=flow)
    current = service.policy.values()
    checklist = service.policy.qc_checklist
    if qc_checklist is not None:
        checklist = clean_checklist(qc_checklist)
    if {**current, **values} == current and checklist == service.policy.qc_checklist:
        return service.policy
    policy = service.policy.copy(**values, qc_checklist=checklist)
    policy.changed_by = actor
    try:
        policy.full_clean(exclude=["changed_by"])
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        label = Policy._meta.get_field(field).verbose_name if field in current else field
        raise InvalidInput(f"{str(label).capitalize()}: {messages[0]}", field=field) from None
    policy.save()
    Service.objects.filter(pk=service.pk).update(policy=policy)
    return policy


def clean_checklist(points: Sequence[str]) -> list[str]:
    """A QC checklist as agents write it: one point per entry, blank ones dropped, each named
    once; InvalidInput (field qc_checklist) when too long or not text."""
    cleaned: list[str] = []
    for point in points:
        if not isinstance(point, str):
            raise InvalidInput("Each checklist point is a line of text.", field="qc_checklist")
        point = " ".join(point.split())
        if not point:
            continue
        if len(point) > MAX_POINT_LENGTH:
            raise InvalidInput(
                f"A checklist point has at most {MAX_POINT_LENGTH} characters.",
                field="qc_checklist",
            )
        if point.casefold() in (p.casefold() for p in cleaned):
            raise InvalidInput(f"“{point}” is in the checklist twice.", field="qc_checklist")
        cleaned.append(point)
    if len(cleaned) > MAX_POINTS:
        raise InvalidInput(f"A checklist has at most {MAX_POINTS} points.", field="qc_checklist")
    return cleaned
