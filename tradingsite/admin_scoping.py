"""Admin helpers: a staff member who is not a superuser sees and edits only what they own."""

from django.contrib import admin
from django.contrib.auth import get_user_model


class OwnedAdmin(admin.ModelAdmin):
    """`owner_path` is the lookup from the model to its owning user (e.g. "strategy__owner")."""

    owner_path = "owner"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{self.owner_path: request.user})

    def save_model(self, request, obj, form, change):
        if self.owner_path == "owner" and not change and not getattr(obj, "owner_id", None):
            obj.owner = request.user
        super().save_model(request, obj, form, change)

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if self.owner_path == "owner" and not request.user.is_superuser:
            exclude.append("owner")
        return exclude

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """Offer only the requesting user's own objects in foreign-key choices."""
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if request.user.is_superuser or field is None:
            return field
        related = db_field.related_model
        for lookup in _owner_lookups(related):
            field.queryset = field.queryset.filter(**{lookup: request.user})
            break
        return field


class ReadOnlyAdmin(OwnedAdmin):
    """Logs and histories: viewable, never added, changed or deleted by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class OwnedInline(admin.TabularInline):
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if request.user.is_superuser or field is None:
            return field
        for lookup in _owner_lookups(db_field.related_model):
            field.queryset = field.queryset.filter(**{lookup: request.user})
            break
        return field


def _owner_lookups(model):
    if model is get_user_model():
        return ["pk"]
    names = {f.name for f in model._meta.get_fields()}
    if "owner" in names:
        return ["owner"]
    if "strategy" in names:
        return ["strategy__owner"]
    if "link" in names:
        return ["link__strategy__owner"]
    return []
