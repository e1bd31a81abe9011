"""Money is a Decimal with two places and a three-letter currency; never a float."""

from decimal import Decimal, InvalidOperation

from atelier.core.errors import InvalidInput

MAX_AMOUNT = Decimal("9999999999.99")


def parse_money(
    amount: Decimal | str | int, currency: str, *, allow_zero: bool = False
) -> tuple[Decimal, str]:
    """A positive (with allow_zero: non-negative) amount with at most two decimals, and an
    upper-case ISO-style currency code; InvalidInput naming the field otherwise."""
    if isinstance(amount, float):
        raise InvalidInput("Amounts are exact decimals, not floats.", field="amount")
    try:
        value = Decimal(str(amount).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput("Enter an amount like 120.00.", field="amount") from None
    if not value.is_finite() or value.as_tuple().exponent < -2 or abs(value) > MAX_AMOUNT:
        raise InvalidInput("Enter an amount like 120.00.", field="amount")
    if value < 0 or (value == 0 and not allow_zero):
        raise InvalidInput("The amount must be more than zero.", field="amount")
    currency = (currency or "").strip()
    if not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
        raise InvalidInput("The currency is a three-letter code such as USD.", field="currency")
    return value.quantize(Decimal("0.01")), currency.upper()
