from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from salespipe.deals.models import Pipeline, Stage
from salespipe.deals.services import stage_stays_rebuild


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

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is Stage and any(
            {"position", "kind"} & set(each.changed_data) for each in formset.forms
        ):
            # Which stays went further follows the stages' order and kinds: count the pipeline's again,
            # as the pipeline settings' own reordering does.
            stage_stays_rebuild(pipeline_id=form.instance.pk)
