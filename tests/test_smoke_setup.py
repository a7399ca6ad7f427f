"""The default pipeline follows the seed's process."""

from salespipe.deals.models import Pipeline, StageKind
from salespipe.deals.pipelines import pipeline_ensure_default


def test_default_pipeline_walks_the_seeds_process_and_gates_the_appointment(pipeline: Pipeline) -> None:
    stages = list(pipeline.stages.order_by("position"))

    assert [s.name for s in stages] == [
        "Lead",
        "Contacted",
        "Qualified",
        "Appointment",
        "Demo/Trial",
        "Proposal",
        "Won",
        "Lost",
    ]
    assert [s.kind for s in stages][-2:] == [StageKind.WON, StageKind.LOST]
    assert [s.name for s in stages if s.requires_decision_maker] == ["Appointment"]


def test_ensuring_the_default_pipeline_twice_creates_it_once(pipeline: Pipeline) -> None:
    assert pipeline_ensure_default() == pipeline
    assert Pipeline.objects.count() == 1
