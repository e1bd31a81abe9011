from functools import cache
from zoneinfo import available_timezones

from django import forms
from django.conf import settings

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

    class Meta:
        model = User
        fields = ["name", "time_zone"]
        help_texts = {"name": "How you appear to the people you work with."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        default = ("", f"Platform default ({settings.TIME_ZONE})")
        self.fields["time_zone"].choices = [default, *((z, z) for z in zone_names())]
