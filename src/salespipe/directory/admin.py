from django.contrib import admin

from salespipe.directory.models import Organization, Person


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "city", "country", "industry")
    search_fields = ("search_name",)
    readonly_fields = ("search_name",)


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("last_name", "first_name", "email", "organization")
    search_fields = ("search_name", "email")
    readonly_fields = ("search_name",)
