"""Fixtures shared by the service tests."""

from __future__ import annotations

import pytest

from salespipe.deals.models import Pipeline
from salespipe.deals.pipelines import pipeline_create
from salespipe.people.models import User


@pytest.fixture
def renewals(admin_user: User, pipeline: Pipeline) -> Pipeline:
    """A second pipeline, so deals also move between pipelines."""
    return pipeline_create(actor=admin_user, name="Renewals")
