"""Admin helpers: a staff member who is not a superuser sees and edits only what they own."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db.models.constants import LOOKUP_SEP


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
        return _scoped_choices(field, db_field, request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return _scoped_choices(field, db_field, request)

    def get_list_filter(self, request):
        """A filter on a relation lists only the objects the user's own rows point at: a plain
        related-field filter would name every owner's strategies, accounts and users."""
        filters = super().get_list_filter(request)
        if request.user.is_superuser:
            return filters
        return [
            (entry, admin.RelatedOnlyFieldListFilter)
            if isinstance(entry, str) and _is_relation(self.model, entry)
            else entry
            for entry in filters
        ]


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
        return _scoped_choices(field, db_field, request)


def _scoped_choices(field, db_field, request):
    if request.user.is_superuser or field is None:
        return field
    for lookup in _owner_lookups(db_field.related_model):
        field.queryset = field.queryset.filter(**{lookup: request.user})
        break
    return field


def _is_relation(model, path: str) -> bool:
    """Whether the list_filter path ends on a relation (`link__strategy`), not a value."""
    field = None
    for name in path.split(LOOKUP_SEP):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        if field.is_relation and field.related_model is not None:
            model = field.related_model
    return bool(field is not None and field.is_relation)


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
