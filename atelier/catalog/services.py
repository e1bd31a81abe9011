"""Changing what a service promises: its policy is data agents edit (console and API)."""

from django.core.exceptions import ValidationError
from django.db import transaction

from atelier.core.errors import InvalidInput, NotAllowed

from .models import Policy, Service


@transaction.atomic
def change_policy(service: Service, *, actor, flow: str | None = None, **values: int) -> Policy:
    """A new version of `service`'s policy with `values` changed, and its `flow` (which sets
    whether QC is required and who closes); orders placed before keep theirs. Unchanged values
    are not a new version. InvalidInput names the first bad field."""
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
    if {**current, **values} == current:
        return service.policy
    policy = Policy(**{**current, **values}, changed_by=actor)
    try:
        policy.full_clean(exclude=["changed_by"])
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        label = Policy._meta.get_field(field).verbose_name if field in current else field
        raise InvalidInput(f"{str(label).capitalize()}: {messages[0]}", field=field) from None
    policy.save()
    Service.objects.filter(pk=service.pk).update(policy=policy)
    return policy
