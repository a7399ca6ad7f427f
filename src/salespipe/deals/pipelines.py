"""Services for pipelines and stages (admin settings)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, F, PositiveSmallIntegerField, Q, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from salespipe.core.errors import InvalidInput, NotAllowed, NotFound, RuleBroken
from salespipe.deals.models import Pipeline, Stage, StageChange, StageKind
from salespipe.deals.services import stage_stays_rebuild
from salespipe.people.models import User


@dataclass(frozen=True)
class StageSpec:
    name: str
    kind: str
    default_probability: int
    rotting_days: int | None = None
    requires_decision_maker: bool = False
    requires_budget: bool = False
    requires_timeline: bool = False
    meeting_requires_decision_maker: bool = True


# The seed's process. Talking to the decision maker comes before the appointment, so the Appointment
# stage is gated on a confirmed decision maker; later stages inherit it because moves forward check the
# gates of every stage they pass.
DEFAULT_PIPELINE_NAME = "Sales"
DEFAULT_STAGES: tuple[StageSpec, ...] = (
    StageSpec("Lead", StageKind.OPEN, 5, rotting_days=14),
    StageSpec("Contacted", StageKind.OPEN, 10, rotting_days=10),
    StageSpec("Qualified", StageKind.OPEN, 20, rotting_days=10),
    StageSpec("Appointment", StageKind.OPEN, 40, rotting_days=7, requires_decision_maker=True),
    StageSpec("Demo/Trial", StageKind.OPEN, 60, rotting_days=14),
    StageSpec("Proposal", StageKind.OPEN, 75, rotting_days=10),
    StageSpec("Won", StageKind.WON, 100),
    StageSpec("Lost", StageKind.LOST, 0),
)


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise NotAllowed(_("Only an administrator can change pipelines and stages."))


def _validate_stage_specs(stages: tuple[StageSpec, ...] | list[StageSpec]) -> None:
    kinds = [spec.kind for spec in stages]
    if kinds.count(StageKind.WON) != 1 or kinds.count(StageKind.LOST) != 1 or StageKind.OPEN not in kinds:
        raise InvalidInput(
            _("A pipeline needs at least one open stage, exactly one won stage and exactly one lost stage."),
            fields={"stages": _("add open stages and one won and one lost stage")},
        )
    names = [spec.name.strip().casefold() for spec in stages]
    if len(set(names)) != len(names) or "" in names:
        raise InvalidInput(
            _("Stage names must be present and unique within a pipeline."), fields={"stages": _("duplicate")}
        )
    for spec in stages:
        if not 0 <= spec.default_probability <= 100:
            raise InvalidInput(
                _("Stage '%(stage)s': default probability must be 0-100 percent.") % {"stage": spec.name},
                fields={"default_probability": _("out of range")},
            )


def _create(name: str, stages: tuple[StageSpec, ...] | list[StageSpec], *, is_default: bool) -> Pipeline:
    pipeline = Pipeline.objects.create(
        name=name.strip(), is_default=is_default, position=Pipeline.objects.count()
    )
    # Open stages first in the given order, then won, then lost: the board and the funnel rely on it.
    ordered = [s for s in stages if s.kind == StageKind.OPEN] + [
        s for s in stages if s.kind != StageKind.OPEN
    ]
    Stage.objects.bulk_create(
        Stage(
            pipeline=pipeline,
            position=position,
            name=spec.name.strip(),
            kind=spec.kind,
            default_probability=spec.default_probability,
            rotting_days=spec.rotting_days,
            requires_decision_maker=spec.requires_decision_maker,
            requires_budget=spec.requires_budget,
            requires_timeline=spec.requires_timeline,
            meeting_requires_decision_maker=spec.meeting_requires_decision_maker,
        )
        for position, spec in enumerate(ordered, start=1)
    )
    return pipeline


@transaction.atomic
def pipeline_ensure_default() -> Pipeline:
    """The default pipeline, created with the seed's stages the first time (idempotent)."""
    existing = Pipeline.objects.filter(is_default=True).first()
    if existing is not None:
        return existing
    return _create(DEFAULT_PIPELINE_NAME, DEFAULT_STAGES, is_default=not Pipeline.objects.exists())


@transaction.atomic
def pipeline_create(*, actor: User, name: str, stages: list[StageSpec] | None = None) -> Pipeline:
    _require_admin(actor)
    if not name.strip():
        raise InvalidInput(_("A pipeline needs a name."), fields={"name": _("required")})
    if Pipeline.objects.filter(name__iexact=name.strip()).exists():
        raise InvalidInput(
            _("A pipeline named '%(name)s' exists already; pick another name.") % {"name": name},
            fields={"name": _("taken")},
        )
    specs = stages or list(DEFAULT_STAGES)
    _validate_stage_specs(specs)
    return _create(name, specs, is_default=not Pipeline.objects.filter(is_default=True).exists())


_STAGE_FIELDS = {
    "name",
    "default_probability",
    "rotting_days",
    "requires_decision_maker",
    "requires_budget",
    "requires_timeline",
    "meeting_requires_decision_maker",
}


@transaction.atomic
def stage_update(*, actor: User, stage_id: int, **changes: object) -> Stage:
    """Change a stage's name, probability, rotting days or gates; the kind and order stay."""
    _require_admin(actor)
    unknown = set(changes) - _STAGE_FIELDS
    if unknown:
        raise InvalidInput(
            _("These stage fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    stage = Stage.objects.select_for_update().select_related("pipeline").get(pk=stage_id)
    if "default_probability" in changes:
        probability = changes["default_probability"]
        if not isinstance(probability, int) or not 0 <= probability <= 100:
            raise InvalidInput(
                _("Default probability must be a whole percent from 0 to 100."),
                fields={"default_probability": _("out of range")},
            )
    if "name" in changes:
        name = str(changes["name"]).strip()
        clash = Stage.objects.filter(pipeline=stage.pipeline, name__iexact=name).exclude(pk=stage.pk)
        if not name or clash.exists():
            raise InvalidInput(
                _("Stage names must be present and unique within a pipeline."), fields={"name": _("taken")}
            )
        changes["name"] = name
    if stage.kind != StageKind.OPEN and any(
        changes.get(gate) for gate in ("requires_decision_maker", "requires_budget", "requires_timeline")
    ):
        raise RuleBroken(_("Gates apply to open stages only; won and lost stages cannot have them."))
    for field, value in changes.items():
        setattr(stage, field, value)
    stage.save(update_fields=list(changes))
    return stage


# --- the order and number of open stages ----------------------------------------------------------------


def _pipeline_for_change(pipeline_id: int) -> Pipeline:
    """The pipeline, locked so two admins rearranging its stages at once queue instead of colliding."""
    pipeline = Pipeline.objects.select_for_update().filter(pk=pipeline_id).first()
    if pipeline is None:
        raise NotFound(_("There is no pipeline with id %(id)s.") % {"id": pipeline_id})
    return pipeline


def _stage_for_change(stage_id: int) -> Stage:
    stage = Stage.objects.filter(pk=stage_id).first()
    if stage is None:
        raise NotFound(_("There is no stage with id %(id)s.") % {"id": stage_id})
    _pipeline_for_change(stage.pipeline_id)
    return stage


def _renumber(pipeline: Pipeline, ordered: list[Stage]) -> None:
    """Give the stages positions 1..n in this order.

    (pipeline, position) is unique and the database checks it row by row, so a plain swap would collide
    halfway. All stages first move above the highest position in use, then down to their places."""
    top = max(stage.position for stage in ordered)
    pipeline.stages.update(position=F("position") + top + 1)
    pipeline.stages.update(
        position=Case(
            *(When(pk=stage.pk, then=Value(position)) for position, stage in enumerate(ordered, start=1)),
            output_field=PositiveSmallIntegerField(),
        )
    )


def _open_then_closed(stages: list[Stage]) -> list[Stage]:
    return [s for s in stages if s.kind == StageKind.OPEN] + [s for s in stages if s.kind != StageKind.OPEN]


@transaction.atomic
def stage_move(*, actor: User, stage_id: int, direction: str) -> Stage:
    """Move an open stage one place earlier ("up") or later ("down") among the open stages; the won and
    lost stages always stay last. Moving the first stage up or the last open stage down changes nothing."""
    _require_admin(actor)
    if direction not in ("up", "down"):
        raise InvalidInput(_("Move a stage 'up' or 'down'."), fields={"direction": _("up or down")})
    stage = _stage_for_change(stage_id)
    if stage.kind != StageKind.OPEN:
        fixed = (
            _("'%(stage)s' is a won stage; won and lost stages stay at the end of the pipeline.")
            if stage.kind == StageKind.WON
            else _("'%(stage)s' is a lost stage; won and lost stages stay at the end of the pipeline.")
        )
        raise RuleBroken(fixed % {"stage": stage.name}, code="closed_stage_fixed")
    pipeline = stage.pipeline
    stages = _open_then_closed(list(pipeline.stages.order_by("position")))
    open_stages = [s for s in stages if s.kind == StageKind.OPEN]
    index = next(i for i, s in enumerate(open_stages) if s.pk == stage.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(open_stages):
        return stage
    open_stages[index], open_stages[other] = open_stages[other], open_stages[index]
    _renumber(pipeline, open_stages + [s for s in stages if s.kind != StageKind.OPEN])
    # Which stays went further depends on the order: count them again for this pipeline's deals.
    stage_stays_rebuild(pipeline_id=pipeline.pk)
    stage.refresh_from_db(fields=["position"])
    return stage


@transaction.atomic
def stage_add(
    *,
    actor: User,
    pipeline_id: int,
    name: str,
    default_probability: int,
    rotting_days: int | None = None,
    requires_decision_maker: bool = False,
    requires_budget: bool = False,
    requires_timeline: bool = False,
    meeting_requires_decision_maker: bool = True,
) -> Stage:
    """A new open stage after the last open one (before won and lost); move it up to place it."""
    _require_admin(actor)
    pipeline = _pipeline_for_change(pipeline_id)
    name = name.strip()
    if not name or pipeline.stages.filter(name__iexact=name).exists():
        raise InvalidInput(
            _("Stage names must be present and unique within a pipeline."), fields={"name": _("taken")}
        )
    if isinstance(default_probability, bool) or not 0 <= default_probability <= 100:
        raise InvalidInput(
            _("Default probability must be a whole percent from 0 to 100."),
            fields={"default_probability": _("out of range")},
        )
    if rotting_days is not None and rotting_days < 0:
        raise InvalidInput(_("Rotting days cannot be negative."), fields={"rotting_days": _("negative")})
    stages = _open_then_closed(list(pipeline.stages.order_by("position")))
    stage = Stage.objects.create(
        pipeline=pipeline,
        # Above every position in use; the renumbering below puts it in its place.
        position=max(s.position for s in stages) + 1,
        name=name,
        kind=StageKind.OPEN,
        default_probability=default_probability,
        rotting_days=rotting_days,
        requires_decision_maker=requires_decision_maker,
        requires_budget=requires_budget,
        requires_timeline=requires_timeline,
        meeting_requires_decision_maker=meeting_requires_decision_maker,
    )
    open_count = sum(1 for s in stages if s.kind == StageKind.OPEN)
    _renumber(pipeline, [*stages[:open_count], stage, *stages[open_count:]])
    stage.refresh_from_db(fields=["position"])
    return stage


@transaction.atomic
def stage_remove(*, actor: User, stage_id: int) -> None:
    """Remove an open stage nobody's deal is in and no deal's history mentions; the pipeline keeps at
    least one open stage."""
    _require_admin(actor)
    stage = _stage_for_change(stage_id)
    if stage.kind != StageKind.OPEN:
        needed = (
            _("'%(stage)s' is the pipeline's won stage; every pipeline needs one.")
            if stage.kind == StageKind.WON
            else _("'%(stage)s' is the pipeline's lost stage; every pipeline needs one.")
        )
        raise RuleBroken(needed % {"stage": stage.name}, code="closed_stage_fixed")
    pipeline = stage.pipeline
    if not pipeline.stages.filter(kind=StageKind.OPEN).exclude(pk=stage.pk).exists():
        raise RuleBroken(
            _("'%(stage)s' is the only open stage of '%(pipeline)s'; add another before removing it.")
            % {"stage": stage.name, "pipeline": pipeline.name},
            code="last_open_stage",
        )
    deals = stage.deals.count()
    if deals:
        raise RuleBroken(
            ngettext(
                "'%(stage)s' still has %(count)d deal; move it to another stage first, then remove "
                "the stage.",
                "'%(stage)s' still has %(count)d deals; move them to another stage first, then remove "
                "the stage.",
                deals,
            )
            % {"stage": stage.name, "count": deals},
            code="stage_has_deals",
        )
    if StageChange.objects.filter(Q(from_stage=stage) | Q(to_stage=stage)).exists():
        # The history is append-only and points at the stage; removing it would rewrite the past.
        raise RuleBroken(
            _(
                "Deals have passed through '%(stage)s', and their stage history keeps it. Rename it or "
                "switch off its gates instead of removing it."
            )
            % {"stage": stage.name},
            code="stage_has_history",
        )
    stage.delete()
    _renumber(pipeline, _open_then_closed(list(pipeline.stages.order_by("position"))))
