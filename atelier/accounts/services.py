"""Finding people by e-mail for the actions that name them (assign, invite, order for)."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from atelier.core.errors import InvalidInput

from .models import User


def user_by_email(email: str, *, field: str) -> User:
    user = User.objects.filter(email__iexact=(email or "").strip(), is_active=True).first()
    if user is None:
        raise InvalidInput(f"Nobody active has the e-mail address “{email}”.", field=field)
    return user


def customer_by_email(email: str, *, field: str = "customer") -> User:
    """The customer with this address; a new one, without a password, if there is none yet
    (they sign in later with a code sent to the address, docs/design.md "Actors")."""
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(f"“{email}” is not an e-mail address.", field=field) from None
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        return User.objects.create_user(email, is_customer=True)
    if not user.is_active:
        raise InvalidInput(f"The account of {email} is closed.", field=field)
    return user
