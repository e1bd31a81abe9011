from django.conf import settings
from django.db import models
from django.db.models import Q

from atelier.core import clock


class LedgerEntry(models.Model):
    """One append-only line of an expert's money (DESIGN rule 11). Amounts are positive; the kind
    says which balance they move. Balances are sums, never stored."""

    class Kind(models.TextChoices):
        REWARD = "reward", "Reward earned"  # pending until release_at
        FEE = "fee", "Fee accepted"  # pending until release_at
        TIP = "tip", "Tip"  # the customer's tip on a rated order; pending until release_at
        RELEASE = "release", "Released"  # moves one reward, fee or tip from pending to available
        CREDIT = "credit", "Manual credit"  # an agent's credit, available at once

    PENDING_KINDS = (Kind.REWARD, Kind.FEE, Kind.TIP)

    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    release_at = models.DateTimeField(null=True, blank=True)
    releases = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="release"
    )
    # What this entry is for, unique: "reward:<order>", "fee:<fee request>", "tip:<order>",
    # "release:<entry>"…
    key = models.CharField(max_length=100, unique=True)
    memo = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "ledger entries"
        indexes = [
            # The sweep's "due": pending kinds by release time (whether one is released yet is
            # the unique index on `releases`, probed per entry).
            models.Index(
                fields=["release_at"],
                condition=Q(kind__in=["reward", "fee", "tip"]),
                name="ledger_pending_release_at",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind__in=["reward", "fee", "tip"], release_at__isnull=False)
                | ~Q(kind__in=["reward", "fee", "tip"]),
                name="ledger_pending_has_release_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency} for {self.expert}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Ledger entries are append-only")
        super().save(*args, **kwargs)
