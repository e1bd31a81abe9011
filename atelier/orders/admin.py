from django import forms
from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from atelier.core.admin import ReadOnlyAdmin
from atelier.core.errors import DomainError

from . import actions
from .agent_forms import AGENT_ACTIONS
from .events import record_event
from .models import (
    Comment,
    Event,
    FeeRequest,
    Flag,
    Invitation,
    Order,
    OrderFile,
    RevisionRequest,
    Submission,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.fields  # history is shown, never edited here


class InvitationInline(ReadOnlyInline):
    model = Invitation
    fields = ["expert", "status", "created_at", "responded_at"]


class SubmissionInline(ReadOnlyInline):
    model = Submission
    fields = [
        "number",
        "kind",
        "expert",
        "notes",
        "created_at",
        "delivered_at",
        "customer_opened_at",
    ]


class FileInline(ReadOnlyInline):
    model = OrderFile
    fields = ["kind", "title", "name", "size", "sha256", "uploaded_by", "created_at"]


class RevisionRequestInline(ReadOnlyInline):
    model = RevisionRequest
    fields = ["status", "comments", "requested_by", "triage", "triage_reason", "created_at"]


class FeeRequestInline(ReadOnlyInline):
    model = FeeRequest
    fields = ["status", "amount", "currency", "reason", "requested_by", "created_at"]


class CommentInline(ReadOnlyInline):
    model = Comment
    fields = ["author", "body", "created_at"]


class FlagInline(ReadOnlyInline):
    model = Flag
    fields = ["kind", "note", "raised_by", "created_at", "resolved_at", "resolution"]


class EventInline(ReadOnlyInline):
    model = Event
    fields = ["created_at", "verb", "actor", "from_status", "to_status", "details"]


class OrderCreateForm(forms.ModelForm):
    class Meta:
        model = Order
        fields = [
            "service",
            "customer",
            "title",
            "instructions",
            "assignment",
            "qc_required",
            "expert_may_close",
            "reward_amount",
            "reward_currency",
            "due_at",
            "linked_order",
        ]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Agents see every order here and act on it through the engine's actions (the buttons on
    an order's page); status and the expert change only through those."""

    list_display = [
        "__str__",
        "service",
        "status",
        "assignment",
        "customer",
        "expert",
        "due_at",
        "closable_at",
    ]
    list_filter = ["status", "assignment", "qc_required", "expert_may_close", "service"]
    search_fields = ["title", "customer__email", "expert__email", "=id"]
    list_select_related = ["service", "customer", "expert"]
    autocomplete_fields = ["customer", "linked_order"]
    date_hierarchy = "created_at"
    change_form_template = "admin/orders/order/change_form.html"
    inlines = [
        InvitationInline,
        SubmissionInline,
        FileInline,
        RevisionRequestInline,
        FeeRequestInline,
        CommentInline,
        FlagInline,
        EventInline,
    ]
    # The linked order changes through its action (the "Link a follow-up order" button).
    editable_after_creation = ["title", "instructions", "due_at"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = OrderCreateForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [f.name for f in Order._meta.fields if f.name not in self.editable_after_creation]

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=[*form.changed_data, "updated_at"])
            record_event(obj, "order.edited", actor=request.user, fields=form.changed_data)
            return
        data = form.cleaned_data
        created = actions.create_order(
            actor=request.user, **{k: data[k] for k in OrderCreateForm.Meta.fields}
        )
        obj.pk = created.pk
        obj.refresh_from_db()

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except DomainError as error:  # the engine refused: say why and let them try again
            messages.error(request, error.message)
            return redirect(request.path)

    def has_delete_permission(self, request, obj=None):
        return False  # orders are cancelled, never deleted

    def get_urls(self):
        act = self.admin_site.admin_view(self.act_view)
        return [path("<int:pk>/act/<str:name>/", act, name="orders_order_act"), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "agent_actions": AGENT_ACTIONS.values()}
        return super().change_view(request, object_id, form_url, extra_context)

    def act_view(self, request: HttpRequest, pk: int, name: str) -> HttpResponse:
        order = Order.objects.filter(pk=pk).select_related("service", "customer", "expert").first()
        action = AGENT_ACTIONS.get(name)
        if order is None or action is None:
            raise Http404("No such order or action.")
        back = reverse("admin:orders_order_change", args=[order.pk])
        form = action.form(order, request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                action.run(order, request.user, form.cleaned_data)
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, f"Done: {action.label.lower()}.")
                return redirect(back)
        elif request.method != "POST":
            try:
                form = action.form(order, initial=action.initial(order, request.user))
            except DomainError as error:
                messages.error(request, error.message)
                return redirect(back)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": order,
            "title": f"{action.label} · {order}",
            "form": form,
            "back": back,
        }
        return TemplateResponse(request, "admin/orders/order/act.html", context)


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kind", "expert", "created_at", "delivered_at"]
    list_select_related = ["order", "expert"]


@admin.register(Flag)
class FlagAdmin(ReadOnlyAdmin):
    """The flags inbox: open flags first."""

    list_display = ["__str__", "kind", "raised_by", "created_at", "resolved_at"]
    list_filter = ["kind", ("resolved_at", admin.EmptyFieldListFilter)]
    list_select_related = ["order", "raised_by"]
