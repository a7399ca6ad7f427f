"""Services for pipelines and stages (admin settings)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from salespipe.core.errors import InvalidInput, NotAllowed, RuleBroken
from salespipe.deals.models import Pipeline, Stage, StageKind
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
        raise NotAllowed("Only an administrator can change pipelines and stages.")


def _validate_stage_specs(stages: tuple[StageSpec, ...] | list[StageSpec]) -> None:
    kinds = [spec.kind for spec in stages]
    if kinds.count(StageKind.WON) != 1 or kinds.count(StageKind.LOST) != 1 or StageKind.OPEN not in kinds:
        raise InvalidInput(
            "A pipeline needs at least one open stage, exactly one won stage and exactly one lost stage.",
            fields={"stages": "add open stages and one won and one lost stage"},
        )
    names = [spec.name.strip().casefold() for spec in stages]
    if len(set(names)) != len(names) or "" in names:
        raise InvalidInput(
            "Stage names must be present and unique within a pipeline.", fields={"stages": "duplicate"}
        )
    for spec in stages:
        if not 0 <= spec.default_probability <= 100:
            raise InvalidInput(
                f"Stage '{spec.name}': default probability must be 0-100 percent.",
                fields={"default_probability": "out of range"},
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
        raise InvalidInput("A pipeline needs a name.", fields={"name": "required"})
    if Pipeline.objects.filter(name__iexact=name.strip()).exists():
        raise InvalidInput(
            f"A pipeline named '{name}' exists already; pick another name.", fields={"name": "taken"}
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
}


@transaction.atomic
def stage_update(*, actor: User, stage_id: int, **changes: object) -> Stage:
    """Change a stage's name, probability, rotting days or gates; the kind and order stay."""
    _require_admin(actor)
    unknown = set(changes) - _STAGE_FIELDS
    if unknown:
        raise InvalidInput(f"These stage fields cannot be changed: {', '.join(sorted(unknown))}.")
    stage = Stage.objects.select_for_update().select_related("pipeline").get(pk=stage_id)
    if "default_probability" in changes:
        probability = changes["default_probability"]
        if not isinstance(probability, int) or not 0 <= probability <= 100:
            raise InvalidInput(
                "Default probability must be a whole percent from 0 to 100.",
                fields={"default_probability": "out of range"},
            )
    if "name" in changes:
        name = str(changes["name"]).strip()
        clash = Stage.objects.filter(pipeline=stage.pipeline, name__iexact=name).exclude(pk=stage.pk)
        if not name or clash.exists():
            raise InvalidInput(
                "Stage names must be present and unique within a pipeline.", fields={"name": "taken"}
            )
        changes["name"] = name
    if stage.kind != StageKind.OPEN and any(
        changes.get(gate) for gate in ("requires_decision_maker", "requires_budget", "requires_timeline")
    ):
        raise RuleBroken("Gates apply to open stages only; won and lost stages cannot have them.")
    for field, value in changes.items():
        setattr(stage, field, value)
    stage.save(update_fields=list(changes))
    return stage
