from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserCreationForm

from .models import User


class UserCreateForm(UserCreationForm):
    class Meta:
        model = User
        fields = ["email", "name", "is_customer", "is_expert", "is_reviewer", "is_agent"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    add_form = UserCreateForm
    form = forms.ModelForm
    ordering = ["email"]
    list_display = [
        "email",
        "name",
        "is_customer",
        "is_expert",
        "is_reviewer",
        "is_agent",
        "is_active",
    ]
    list_filter = ["is_customer", "is_expert", "is_reviewer", "is_agent", "is_active"]
    search_fields = ["email", "name"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "name", "password", "time_zone"]}),
        ("Roles", {"fields": ["is_customer", "is_expert", "is_reviewer", "is_agent", "is_active"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": [
                    "email",
                    "name",
                    "password1",
                    "password2",
                    "is_customer",
                    "is_expert",
                    "is_reviewer",
                    "is_agent",
                ],
            },
        )
    ]
    filter_horizontal: list[str] = []
