from functools import cache
from zoneinfo import available_timezones

from django import forms
from django.conf import settings

from atelier.notifications.models import Notification

from .models import User

# Names zoneinfo lists that are not places a person lives in.
NOT_PLACES = {"localtime", "Factory"}


@cache
def zone_names() -> list[str]:
    return sorted(available_timezones() - NOT_PLACES)


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        label="Time zone",
        required=False,
        help_text="Times across Atelier are shown in this zone.",
        error_messages={"invalid_choice": "“%(value)s” is not a time zone we know."},
    )

    email_events = forms.MultipleChoiceField(
        label="E-mail me about",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Your inbox here always shows everything; these also come by e-mail.",
    )

    class Meta:
        model = User
        fields = ["name", "time_zone"]
        help_texts = {"name": "How you appear to the people you work with."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        default = ("", f"Platform default ({settings.TIME_ZONE})")
        self.fields["time_zone"].choices = [default, *((z, z) for z in zone_names())]
        self.fields["email_events"].choices = Notification.Event.choices
        muted = set(self.instance.email_muted or [])
        self.initial["email_events"] = [e for e in Notification.Event.values if e not in muted]

    def save(self, commit: bool = True) -> User:
        chosen = set(self.cleaned_data["email_events"])
        self.instance.email_muted = [e for e in Notification.Event.values if e not in chosen]
        return super().save(commit)


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Token name",
        max_length=100,
        help_text="What it is for, e.g. “storefront” or “reporting script”.",
    )
