from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        # No password yet (an order placed for them by an agent or the API): they get in
        # through a one-time link.
        user.set_password(password) if password else user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_superuser=True, is_agent=True)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Roles are flags because one person may hold several."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150, blank=True)
    time_zone = models.CharField(
        max_length=64, blank=True, help_text="Times are shown in this zone; blank: the platform's."
    )
    is_customer = models.BooleanField("customer", default=False)
    is_expert = models.BooleanField("expert", default=False)
    is_reviewer = models.BooleanField("QC reviewer", default=False)
    is_agent = models.BooleanField(
        "customer-experience agent", default=False, help_text="Sees and acts on every order."
    )
    email_muted = models.JSONField(
        default=list,
        blank=True,
        help_text="Notification events not sent by e-mail; the in-app inbox always gets them.",
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.name or self.email

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@")[0]

    def wants_email(self, event: str) -> bool:
        return event not in (self.email_muted or [])

    @property
    def roles(self) -> list[str]:
        flags = {
            "customer": self.is_customer,
            "expert": self.is_expert,
            "reviewer": self.is_reviewer,
            "agent": self.is_agent,
        }
        return [role for role, held in flags.items() if held]

    # Agents may do everything the engine can do, so Django's admin is theirs in full.
    @property
    def is_staff(self) -> bool:
        return self.is_agent or self.is_superuser

    def save(self, **kwargs) -> None:
        # A new password (changed, reset, set by an agent in the admin) revokes every API token:
        # whoever held the old password may have made one.
        password_changed = self._password is not None and self.pk is not None
        super().save(**kwargs)
        if password_changed:
            self.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())

    def has_perm(self, perm: str, obj=None) -> bool:
        return (self.is_active and self.is_agent) or super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        return (self.is_active and self.is_agent) or super().has_module_perms(app_label)


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 digest is stored; the token itself is shown
    once, when it is made. Tokens are long and random, so a fast hash is enough."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. “storefront”.")
    prefix = models.CharField(max_length=12, help_text="The token's first characters, to tell it.")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
