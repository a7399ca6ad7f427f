from django.contrib import admin

from salespipe.deals.models import Pipeline, Stage


class StageInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Stage
    fields = (
        "position",
        "name",
        "kind",
        "default_probability",
        "rotting_days",
        "requires_decision_maker",
        "requires_budget",
        "requires_timeline",
        "meeting_requires_decision_maker",
    )
    ordering = ("position",)
    extra = 0


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "is_default", "is_active", "position")
    inlines = [StageInline]
