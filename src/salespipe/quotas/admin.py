"""The Django admin's view of quotas and commission plans, for inspection and repairs. Day-to-day work
goes through the quotas page and the commission plan settings, whose services check who may change what."""

from django.contrib import admin

from salespipe.quotas.models import CommissionAssignment, CommissionPlan, CommissionTier, Quota


@admin.register(Quota)
class QuotaAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user", "team", "period_kind", "starts_on", "ends_on", "target_value", "target_deals")
    list_filter = ("period_kind", "team")
    list_select_related = ("user", "team")
    date_hierarchy = "starts_on"
    readonly_fields = ("set_by", "updated_at")
    raw_id_fields = ("user",)


class CommissionTierInline(admin.TabularInline):  # type: ignore[type-arg]
    model = CommissionTier
    fields = ("from_attainment", "rate")
    ordering = ("from_attainment",)
    extra = 0


@admin.register(CommissionPlan)
class CommissionPlanAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "base_rate", "cap", "is_active")
    list_filter = ("is_active",)
    inlines = [CommissionTierInline]


@admin.register(CommissionTier)
class CommissionTierAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("plan", "from_attainment", "rate")
    list_filter = ("plan",)
    list_select_related = ("plan",)


@admin.register(CommissionAssignment)
class CommissionAssignmentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user", "plan", "starts_on", "ends_on", "assigned_by")
    list_filter = ("plan",)
    list_select_related = ("user", "plan", "assigned_by")
    readonly_fields = ("assigned_by", "created_at")
    raw_id_fields = ("user",)
