"""What an import's rows refer to, read once per import: the active users, the pipelines with their
stages, the exchange rates; and how a file's value finds one of them, through the mapping's own tables
first."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from salespipe.core.models import ExchangeRate
from salespipe.core.money import base_currency
from salespipe.core.text import fold
from salespipe.deals.models import Pipeline, StageKind
from salespipe.imports.fields import header_key
from salespipe.imports.mapping import Mapping
from salespipe.people.models import User


@dataclass(frozen=True)
class StageShape:
    id: int
    name: str
    kind: str
    position: int


@dataclass
class PipelineShape:
    id: int
    name: str
    stages: dict[str, StageShape]  # header_key(name) → stage
    first_open: StageShape
    won: StageShape | None
    lost: StageShape | None


class Targets:
    def __init__(self, mapping: Mapping, *, pipeline: Pipeline | None = None) -> None:
        self.mapping = mapping
        self.users = self._users()
        self.pipelines, self.default_pipeline = self._pipelines(pipeline)
        self.rates: dict[str, Decimal] = {
            rate.currency: rate.rate_to_base for rate in ExchangeRate.objects.all()
        }
        self.base = base_currency()

    @staticmethod
    def _users() -> dict[str, int]:
        users: dict[str, int] = {}
        for pk, username, email, first, last in User.objects.filter(is_active=True).values_list(
            "pk", "username", "email", "first_name", "last_name"
        ):
            for name in (f"{first} {last}", email, username):
                if name.strip():
                    users[fold(name)] = pk
        return users

    @staticmethod
    def _pipelines(chosen: Pipeline | None) -> tuple[dict[str, PipelineShape], PipelineShape]:
        shapes: dict[str, PipelineShape] = {}
        default: PipelineShape | None = None
        for pipeline in Pipeline.objects.filter(is_active=True).prefetch_related("stages"):
            stages = sorted(pipeline.stages.all(), key=lambda stage: stage.position)
            by_name = {header_key(s.name): StageShape(s.pk, s.name, s.kind, s.position) for s in stages}
            opens = [by_name[header_key(s.name)] for s in stages if s.kind == StageKind.OPEN]
            if not opens:
                continue
            shape = PipelineShape(
                id=pipeline.pk,
                name=pipeline.name,
                stages=by_name,
                first_open=opens[0],
                won=next((s for s in by_name.values() if s.kind == StageKind.WON), None),
                lost=next((s for s in by_name.values() if s.kind == StageKind.LOST), None),
            )
            shapes[header_key(pipeline.name)] = shape
            if (chosen is not None and pipeline.pk == chosen.pk) or (chosen is None and pipeline.is_default):
                default = shape
        if default is None:
            default = next(iter(shapes.values()))
        return shapes, default

    def user(self, value: str) -> int | None:
        """The active user a file's owner value names: mapped under [owners], else by username, email or
        full name, ignoring case and accents."""
        mapped = self.mapping.owners.get(header_key(value))
        return self.users.get(fold(mapped if mapped is not None else value))

    def pipeline(self, value: str) -> PipelineShape | None:
        name = self.mapping.pipelines.get(header_key(value), value)
        return self.pipelines.get(header_key(name))

    def stage(self, pipeline: PipelineShape, value: str) -> StageShape | None:
        """The pipeline's stage a file's stage value is: mapped under [stages] (or by the preset), else
        by its name."""
        name = self.mapping.stages.get(header_key(value), value)
        return pipeline.stages.get(header_key(name))
