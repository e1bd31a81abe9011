from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from atelier.core.models import AppendOnlyModel, BaseModel

from .checklists import default_checklist


def _days(default: int, help_text: str, *, least: int = 0) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        default=default,
        validators=[MinValueValidator(least), MaxValueValidator(365)],
        help_text=help_text,
    )


class Policy(AppendOnlyModel):
    """The allowances and clocks of a service's orders. A version is never edited: changing a
    service's policy writes a new version (catalog/services.py::change_policy), and every order
    keeps the version it was created under, so no existing order's moments move."""

    included_revisions = models.PositiveSmallIntegerField(
        default=3,
        validators=[MaxValueValidator(50)],
        help_text="Revision requests included in the price; more flag the order.",
    )
    turnaround_days = _days(
        5,
        "Calendar days from placing an order to its delivery due date, unless one is set.",
        least=1,
    )
    closing_delay_days = _days(
        7, "Expert-hub orders: the expert may close this many days after the first delivery."
    )
    late_revision_days = _days(
        2, "A revision delivered on or after that day moves the closing this many days on."
    )
    reward_hold_days = _days(30, "Days from earning a reward to its release.")
    reminder_days = _days(
        3, "Remind a customer of a delivery they have not opened after this many days.", least=1
    )
    auto_complete_days = _days(
        3, "Complete an order this many days after a delivery nobody answered (0: never)."
    )
    qc_turnaround_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(720)],
        help_text="Hours a reviewer has for a submission waiting in QC.",
    )
    # What a QC reviewer checks, point by point (the scorecard of every review).
    qc_checklist = models.JSONField(default=list, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    # The fields an agent edits, in the order forms and the API show them.
    EDITABLE = (
        "included_revisions",
        "turnaround_days",
        "closing_delay_days",
        "late_revision_days",
        "reward_hold_days",
        "reminder_days",
        "auto_complete_days",
        "qc_turnaround_hours",
    )

    class Meta:
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return f"Policy #{self.pk}"

    def values(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.EDITABLE}

    def copy(self, **changes) -> "Policy":
        """An unsaved next version with `changes`."""
        return Policy(**{**self.values(), "qc_checklist": self.qc_checklist, **changes})


class Service(BaseModel):
    """A kind of work customers order: resume writing, translation, voice-over...

    Orders a customer places take the service's flow, reward and policy; agents may choose
    another flow and reward."""

    class Flow(models.TextChoices):
        WRITER_PORTAL = "writer_portal", "Writer portal"  # assigned; the customer completes
        EXPERT_HUB = "expert_hub", "Expert hub"  # assigned; the expert closes with a farewell
        MARKETPLACE = "marketplace", "Marketplace"  # invitations; QC; the customer approves

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    revision_triage = models.BooleanField(
        default=False,
        help_text="An agent checks each revision request before it reaches the expert.",
    )
    flow = models.CharField(
        max_length=20,
        choices=Flow,
        default=Flow.WRITER_PORTAL,
        help_text="Sets who assigns, whether QC is required and who closes.",
    )
    reward_amount = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, help_text="The expert's reward per order."
    )
    reward_currency = models.CharField(max_length=3, default="USD")
    is_active = models.BooleanField(default=True)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="services")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if self.policy_id is None:  # a new service starts with the default policy
            self.policy = Policy.objects.create(qc_checklist=default_checklist(self.slug))
        super().save(*args, **kwargs)
