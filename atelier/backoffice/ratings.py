"""Ratings for agents: averages and counts per expert and per service, and the latest ratings,
narrowed to one expert and one service."""

from django import forms
from django.http import HttpRequest, HttpResponse

from atelier.accounts.decorators import agent_required
from atelier.accounts.models import User
from atelier.catalog.models import Service
from atelier.core.htmx import render_page
from atelier.core.keyset import cursor_listing
from atelier.orders import ratings


class RatingFilterForm(forms.Form):
    expert = forms.EmailField(label="Expert e-mail", required=False, max_length=254)
    service = forms.ModelChoiceField(
        Service.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label="Any service",
    )

    def filters(self) -> tuple[User | None, str, bool]:
        """The expert (None: any), the service's slug ("" for any), and whether the expert
        named exists (an unknown address matches no rating)."""
        if not self.is_valid():
            return None, "", True
        email = self.cleaned_data["expert"]
        service = self.cleaned_data["service"]
        expert = User.objects.filter(email__iexact=email).first() if email else None
        return expert, service.slug if service else "", not email or expert is not None


@agent_required
def rating_list(request: HttpRequest) -> HttpResponse:
    form = RatingFilterForm(request.GET)
    expert, service, known = form.filters()
    rated = ratings.all_ratings(expert=expert, service_slug=service)
    if not known:
        rated = rated.none()
    listing, status = cursor_listing(request, rated)
    context = {
        "form": form,
        "filtered": bool(expert or service or not known),
        "summary": ratings.summary(rated),
        "per_expert": ratings.per_expert(rated),
        "per_service": ratings.per_service(rated),
        **listing,
    }
    return render_page(
        request, "backoffice/ratings.html", context, partial="results", status=status
    )
