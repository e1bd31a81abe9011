"""Forms only shape input; the actions decide what is allowed."""

from django import forms

from atelier.catalog.models import Service

from . import rules


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


class PointsWidget(forms.Widget):
    """One small text box per point of a checklist, sent as repeated fields, with room for a
    few more (static/js/points.js adds boxes on demand)."""

    template_name = "orders/widgets/points.html"
    rows = 3

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        points = [point for point in value or () if point]
        context["widget"]["points"] = points + [""] * max(1, self.rows - len(points))
        return context


class PointsField(forms.Field):
    """A checklist of points, one per box; a list pasted into a box splits into its points
    (rules.split_items)."""

    widget = PointsWidget
    default_error_messages = {"required": "Say what should change: at least one point."}

    def to_python(self, value):
        boxes = value if isinstance(value, list) else [value] if value else []
        return [point for box in boxes for point in rules.split_items(str(box))]

    def bound_data(self, data, initial):
        return data if isinstance(data, list) else [data] if data else []


class RevisionRequestForm(forms.Form):
    items = PointsField(
        label="What should change?",
        help_text="One point per box, so the expert can answer each. A list pasted into a box "
        "splits into points.",
    )
    files = MultipleFileField(required=False, label="Files")


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


class RatingForm(forms.Form):
    stars = forms.TypedChoiceField(
        choices=[(n, f"{n} star{'s' if n > 1 else ''}") for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
        label="Your rating",
        error_messages={"required": "Choose 1 to 5 stars."},
    )
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
        label="A few words (optional)",
    )
    tip = forms.CharField(required=False, max_length=20, label="Tip (optional)")
