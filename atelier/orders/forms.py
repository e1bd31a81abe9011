"""Forms only shape input; the actions decide what is allowed."""

from django import forms

from atelier.catalog.models import Service


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one <input type=file multiple>; none is fine when not required."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        if not data:
            return super().clean(data, initial) if self.required else []
        return [super().clean(data, initial)]


class PlaceOrderForm(forms.Form):
    service = forms.ModelChoiceField(
        Service.objects.filter(is_active=True), empty_label="Choose a service"
    )
    title = forms.CharField(
        max_length=200, help_text="A short name for the order, e.g. “Resume for a PM role”."
    )
    instructions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text="What the expert should know: goals, tone, deadlines, what to keep.",
    )
    documents = MultipleFileField(
        required=False, help_text="Your current resume, the text to translate… Any file type."
    )
    due_at = forms.DateTimeField(
        required=False,
        label="Due date",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Optional. In your time zone.",
    )


class RevisionRequestForm(forms.Form):
    comments = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        label="What should change?",
        help_text="Be specific: the expert sees exactly this.",
    )
    files = MultipleFileField(required=False, label="Files (optional)")


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(
        label="Yes, I am happy with the delivery and want to complete the order.",
        error_messages={"required": "Tick the box to confirm."},
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label="Message", required=False
    )
    files = MultipleFileField(required=False, label="Attach files")


class AttachmentsForm(forms.Form):
    files = MultipleFileField(label="Add documents")


class FeeResponseForm(forms.Form):
    accept = forms.TypedChoiceField(
        choices=[("yes", "Accept the fee"), ("no", "Decline")], coerce=lambda v: v == "yes"
    )


class ExtensionForm(forms.Form):
    due_at = forms.DateTimeField(
        label="New due date",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="In your time zone.",
        error_messages={
            "required": "Say until when you need.",
            "invalid": "Enter a date and time.",
        },
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why",
        max_length=2000,
        error_messages={"required": "Say why you need more time."},
    )


class ExtensionAnswerForm(forms.Form):
    accept = forms.TypedChoiceField(
        choices=[("yes", "Give more time"), ("no", "Decline")], coerce=lambda v: v == "yes"
    )
    note = forms.CharField(required=False, max_length=2000)
