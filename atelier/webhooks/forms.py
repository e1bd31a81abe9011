from django import forms

from .events import ALL, EVENTS


class EndpointForm(forms.Form):
    """The fields of an endpoint; the rules (http/https to a public address, known events) are
    checked by the action, whose refusals appear beside the field they concern."""

    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        help_text=(
            "Where Atelier POSTs the events, e.g. https://example.com/atelier/webhooks: a public "
            "address (local and private-network addresses are refused)."
        ),
    )
    description = forms.CharField(max_length=200, required=False)
    all_events = forms.BooleanField(label="All events, including any added later", required=False)
    events = forms.MultipleChoiceField(
        label="Or these events",
        choices=[(name, f"{name} — {meaning}") for name, meaning in EVENTS.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    @classmethod
    def for_endpoint(cls, endpoint) -> "EndpointForm":
        everything = ALL in endpoint.events
        return cls(
            initial={
                "url": endpoint.url,
                "description": endpoint.description,
                "all_events": everything,
                "events": [] if everything else endpoint.events,
            }
        )

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("all_events") and not data.get("events"):
            self.add_error("events", "Choose at least one event, or all events.")
        return data

    def subscribed(self) -> list[str]:
        return [ALL] if self.cleaned_data["all_events"] else self.cleaned_data["events"]
