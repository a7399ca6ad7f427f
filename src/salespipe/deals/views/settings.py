"""Settings pages for pipelines and their stages (administrators only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from salespipe.core.errors import NotFound, SalespipeError
from salespipe.core.web import actor_of, add_service_error, admin_required
from salespipe.deals import pipelines
from salespipe.deals.models import Pipeline, Stage, StageKind
from salespipe.deals.selectors import pipeline_get, pipeline_list
from salespipe.people.models import User


class PipelineForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy(
            "It starts with the standard stages; rename, reorder, add or remove them next."
        ),
    )


class StageForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    default_probability = forms.IntegerField(
        label=gettext_lazy("Default win probability (%)"), min_value=0, max_value=100
    )
    rotting_days = forms.IntegerField(
        label=gettext_lazy("Rotting after (days)"),
        min_value=0,
        max_value=32767,
        required=False,
        help_text=gettext_lazy("A deal with no progress for this long is flagged; empty never flags."),
    )
    requires_decision_maker = forms.BooleanField(
        label=gettext_lazy("Needs a confirmed decision maker"), required=False
    )
    requires_budget = forms.BooleanField(label=gettext_lazy("Needs a known budget"), required=False)
    requires_timeline = forms.BooleanField(label=gettext_lazy("Needs a decision date"), required=False)
    meeting_requires_decision_maker = forms.BooleanField(
        label=gettext_lazy("Meetings need a confirmed decision maker"),
        required=False,
        initial=True,
        help_text=gettext_lazy("No appointment can be booked for a deal in this stage before then."),
    )

    GATES = (
        "requires_decision_maker",
        "requires_budget",
        "requires_timeline",
        "meeting_requires_decision_maker",
    )

    def __init__(self, *args: Any, kind: str = StageKind.OPEN, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kind != StageKind.OPEN:
            # Gates guard the way in to open stages; winning and losing check none.
            for gate in self.GATES:
                del self.fields[gate]

    @staticmethod
    def initial_for(stage: Stage) -> dict[str, Any]:
        return {field: getattr(stage, field) for field in StageForm.base_fields}


def _pipeline_or_404(actor: User, pipeline_id: int) -> Pipeline:
    try:
        return pipeline_get(actor=actor, pipeline_id=pipeline_id)
    except NotFound as error:
        raise Http404(error.message) from None


def _stage_of(pipeline: Pipeline, stage_id: int) -> Stage:
    # The prefetched stages, so the page needs no extra query for the one being edited.
    stage = next((stage for stage in pipeline.stages.all() if stage.pk == stage_id), None)
    if stage is None:
        raise Http404(f"Pipeline {pipeline.pk} has no stage with id {stage_id}.")
    return stage


@require_http_methods(["GET", "POST"])
@admin_required
def pipelines_page(request: HttpRequest) -> HttpResponse:
    """The pipelines with their stages, and a form to add a pipeline."""
    actor = actor_of(request)
    form = PipelineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pipeline = pipelines.pipeline_create(actor=actor, name=form.cleaned_data["name"])
        except SalespipeError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Added the pipeline %(name)s.") % {"name": pipeline.name})
            return redirect("deals:settings_pipeline", pipeline_id=pipeline.pk)
    return render(
        request,
        "deals/settings_pipelines.html",
        {"pipelines": pipeline_list(actor=actor, include_inactive=True), "form": form},
    )


def _pipeline_page(request: HttpRequest, pipeline: Pipeline, add_form: StageForm) -> HttpResponse:
    stages = list(pipeline.stages.all())
    open_ids = [stage.pk for stage in stages if stage.kind == StageKind.OPEN]
    return render(
        request,
        "deals/settings_pipeline.html",
        {
            "pipeline": pipeline,
            "stages": stages,
            "first_open_id": open_ids[0] if open_ids else None,
            "last_open_id": open_ids[-1] if open_ids else None,
            "add_form": add_form,
        },
    )


@require_http_methods(["GET", "POST"])
@admin_required
def pipeline_page(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    """A pipeline's stages in order, with their rules; the form at the bottom adds an open stage."""
    actor = actor_of(request)
    pipeline = _pipeline_or_404(actor, pipeline_id)
    add_form = StageForm(request.POST or None, prefix="new")
    if request.method == "POST" and add_form.is_valid():
        try:
            stage = pipelines.stage_add(actor=actor, pipeline_id=pipeline.pk, **add_form.cleaned_data)
        except SalespipeError as error:
            add_service_error(add_form, error)
        else:
            messages.success(
                request,
                _("Added the stage %(name)s after the last open stage; move it up to place it.")
                % {"name": stage.name},
            )
            return redirect("deals:settings_pipeline", pipeline_id=pipeline.pk)
    return _pipeline_page(request, pipeline, add_form)


@require_http_methods(["GET", "POST"])
@admin_required
def stage_page(request: HttpRequest, pipeline_id: int, stage_id: int) -> HttpResponse:
    """Edit one stage: its name, default probability, rotting days and (open stages) its gates."""
    actor = actor_of(request)
    pipeline = _pipeline_or_404(actor, pipeline_id)
    stage = _stage_of(pipeline, stage_id)
    if request.method != "POST":
        form = StageForm(initial=StageForm.initial_for(stage), kind=stage.kind)
        return render(
            request, "deals/settings_stage.html", {"pipeline": pipeline, "stage": stage, "form": form}
        )
    form = StageForm(request.POST, kind=stage.kind)
    if form.is_valid():
        try:
            pipelines.stage_update(actor=actor, stage_id=stage.pk, **form.cleaned_data)
        except SalespipeError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Saved the stage %(name)s.") % {"name": form.cleaned_data["name"]})
            return redirect("deals:settings_pipeline", pipeline_id=pipeline.pk)
    return render(request, "deals/settings_stage.html", {"pipeline": pipeline, "stage": stage, "form": form})


@require_POST
@admin_required
def stage_move(request: HttpRequest, pipeline_id: int, stage_id: int) -> HttpResponse:
    actor = actor_of(request)
    pipeline = _pipeline_or_404(actor, pipeline_id)
    stage = _stage_of(pipeline, stage_id)
    try:
        pipelines.stage_move(actor=actor, stage_id=stage.pk, direction=request.POST.get("direction", ""))
    except SalespipeError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Moved the stage %(name)s.") % {"name": stage.name})
    return redirect("deals:settings_pipeline", pipeline_id=pipeline.pk)


@require_POST
@admin_required
def stage_remove(request: HttpRequest, pipeline_id: int, stage_id: int) -> HttpResponse:
    actor = actor_of(request)
    pipeline = _pipeline_or_404(actor, pipeline_id)
    stage = _stage_of(pipeline, stage_id)
    try:
        pipelines.stage_remove(actor=actor, stage_id=stage.pk)
    except SalespipeError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Removed the stage %(name)s.") % {"name": stage.name})
    return redirect("deals:settings_pipeline", pipeline_id=pipeline.pk)
