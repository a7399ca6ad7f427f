"""The demo-data generator: counts, determinism, and data consistent with every rule the services keep."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from decimal import Decimal

import pytest
from django.contrib.auth.hashers import check_password
from django.db import connection
from django.db.models import F, Max, Min, Model, OuterRef, Q, Subquery

from salespipe.activities.models import Activity, ActivityKind, ActivityPurpose
from salespipe.core.bulk import foreign_keys_deferred, indexes_deferred
from salespipe.core.errors import InvalidInput
from salespipe.core.models import ExchangeRate
from salespipe.core.money import to_base
from salespipe.core.text import fold
from salespipe.deals.models import (
    BUYING_AUTHORITY_ROLES,
    Deal,
    DealContact,
    DealStatus,
    Stage,
    StageChange,
    StageKind,
    StageStay,
)
from salespipe.deals.pipelines import pipeline_ensure_default
from salespipe.demo import names
from salespipe.demo.generator import DemoSummary, demo_generate, generate
from salespipe.directory.models import Organization, Person
from salespipe.people.models import Role, Team, User

TODAY = dt.date(2026, 11, 27)
NOW = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
GENERATED_MODELS: list[type[Model]] = [
    Team,
    User,
    Organization,
    Person,
    Deal,
    StageChange,
    DealContact,
    Activity,
    ExchangeRate,
]
# The password hash carries a random salt by design; everything else must repeat exactly.
NOT_REPEATABLE = {"people_user.password"}

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo() -> DemoSummary:
    return demo_generate(reps=6, deals=300, seed=7, today=TODAY)


def digest_of_generated_rows() -> str:
    digest = hashlib.sha256()
    for model in GENERATED_MODELS:
        fields = [
            field.attname
            for field in model._meta.concrete_fields
            if f"{model._meta.db_table}.{field.column}" not in NOT_REPEATABLE
        ]
        for row in model._default_manager.order_by("pk").values_list(*fields):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def delete_generated_rows() -> None:
    Activity.objects.all().delete()
    Deal.objects.all().delete()
    Person.objects.all().delete()
    Organization.objects.all().delete()
    Team.objects.update(manager=None)
    User.objects.all().delete()
    Team.objects.all().delete()
    ExchangeRate.objects.all().delete()


def appointment_stage() -> Stage:
    return Stage.objects.get(pipeline=pipeline_ensure_default(), requires_decision_maker=True)


def test_the_summary_counts_what_is_in_the_database(demo: DemoSummary) -> None:
    # given a generated demo (the fixture)
    # when the rows are counted
    counted = {
        "teams": Team.objects.count(),
        "managers": User.objects.filter(role=Role.MANAGER).count(),
        "reps": User.objects.filter(role=Role.REP).count(),
        "organizations": Organization.objects.count(),
        "people": Person.objects.count(),
        "deals": Deal.objects.count(),
        "stage_changes": StageChange.objects.count(),
        "activities": Activity.objects.count(),
        "deal_contacts": DealContact.objects.count(),
    }

    # then they match the summary, with about five activities per deal
    assert counted == {name: getattr(demo, name) for name in counted}
    assert (demo.teams, demo.managers, demo.reps, demo.deals) == (1, 1, 6, 300)
    assert 4 <= demo.activities / demo.deals <= 7


def test_the_same_seed_and_day_give_the_same_rows() -> None:
    # given one run, remembered and removed
    demo_generate(reps=6, deals=300, seed=7, today=TODAY)
    first = digest_of_generated_rows()
    delete_generated_rows()

    # when the same run is made again
    demo_generate(reps=6, deals=300, seed=7, today=TODAY)

    # then every row is the same
    assert digest_of_generated_rows() == first


def test_another_seed_gives_other_data() -> None:
    # given one run, remembered and removed
    demo_generate(reps=6, deals=300, seed=7, today=TODAY)
    first = digest_of_generated_rows()
    delete_generated_rows()

    # when a run is made with another seed
    demo_generate(reps=6, deals=300, seed=8, today=TODAY)

    # then the data differ
    assert digest_of_generated_rows() != first


def test_a_worker_process_and_deferred_indexes_change_nothing_in_the_rows() -> None:
    # given a run made in small chunks in this process, with indexes kept up to date
    options = {"reps": 3, "deals": 120, "seed": 3, "today": TODAY, "password": "demo", "progress": None}
    generate(**options, chunk_deals=25, background=False, defer_indexes=False)
    in_process = digest_of_generated_rows()
    delete_generated_rows()

    # when the same chunks are made in a worker process and the indexes are built afterwards
    generate(**options, chunk_deals=25, background=True, defer_indexes=True)

    # then the rows are the same
    assert digest_of_generated_rows() == in_process


def test_indexes_dropped_for_a_load_are_built_again() -> None:
    # given the activity table's plain indexes
    def index_names() -> set[str]:
        with connection.cursor() as cursor:
            return {
                name
                for name, info in connection.introspection.get_constraints(
                    cursor, "activities_activity"
                ).items()
                if info["index"] and not info["unique"] and not info["primary_key"]
            }

    before = index_names()

    # when a load runs with them deferred
    with indexes_deferred(connection, [Activity]):
        inside = index_names()

    # then they were gone during the load and are all back after it
    assert before
    assert inside == set()
    assert index_names() == before


def test_foreign_keys_dropped_for_a_load_are_added_again() -> None:
    # given the deal table's foreign keys
    def foreign_keys() -> set[str]:
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, "deals_deal")
        return {
            f"{info['columns']}->{info['foreign_key']}"
            for info in constraints.values()
            if info["foreign_key"]
        }

    before = foreign_keys()

    # when a load runs with them deferred
    with foreign_keys_deferred(connection, [Deal]):
        inside = foreign_keys()

    # then PostgreSQL loaded without them (SQLite keeps its cheap checks) and all are back after it
    assert len(before) == 6
    assert inside == (set() if connection.vendor == "postgresql" else before)
    assert foreign_keys() == before


def test_every_deal_has_the_status_of_its_stage_and_the_dates_that_go_with_it(demo: DemoSummary) -> None:
    # given a generated demo (the fixture)
    # when deals are grouped by status
    mismatched = Deal.objects.exclude(status=F("stage__kind")).count()
    won = Deal.objects.filter(status=DealStatus.WON)
    lost = Deal.objects.filter(status=DealStatus.LOST)

    # then statuses agree with stage kinds, both outcomes occur, with their dates and reasons
    assert mismatched == 0
    assert Deal.objects.exclude(pipeline=F("stage__pipeline")).count() == 0
    assert won.exists()
    assert lost.exists()
    assert not won.filter(won_at=None).exists()
    assert not lost.filter(Q(lost_at=None) | Q(lost_reason="")).exists()
    assert set(lost.values_list("lost_reason", flat=True)) <= {reason for reason, _ in names.LOST_REASONS}
    assert (
        not Deal.objects.filter(status=DealStatus.OPEN)
        .exclude(won_at=None, lost_at=None, lost_reason="")
        .exists()
    )
    win_rate = won.count() / (won.count() + lost.count())
    assert 0.3 <= win_rate <= 0.5


def test_every_stage_history_walks_the_pipeline_to_the_deals_stage(demo: DemoSummary) -> None:
    # given a generated demo (the fixture)
    first_stage = pipeline_ensure_default().stages.order_by("position").first()

    # when each deal's history is read in order
    histories: dict[int, list[StageChange]] = {}
    for change in StageChange.objects.order_by("deal_id", "changed_at", "id"):
        histories.setdefault(change.deal_id, []).append(change)
    stage_of = dict(Deal.objects.values_list("id", "stage_id"))

    # then it starts from nowhere at the first stage, each move starts where the last ended,
    # no move stays put, and the last one ends at the deal's stage
    assert set(histories) == set(stage_of)
    for deal_id, changes in histories.items():
        assert changes[0].from_stage_id is None
        assert changes[0].to_stage == first_stage
        for previous, change in itertools.pairwise(changes):
            assert change.from_stage_id == previous.to_stage_id
            assert change.from_stage_id != change.to_stage_id
        assert changes[-1].to_stage_id == stage_of[deal_id]


def test_every_stage_change_has_its_stay_ending_where_the_next_change_begins(demo: DemoSummary) -> None:
    # given a generated demo (the fixture), whose stays were written from its history
    stays = {stay.pk: stay for stay in StageStay.objects.all()}

    # then each change has one stay, of the deal's owner, in the stage it entered, left when the next
    # change came (the last one still open)
    changes = StageChange.objects.select_related("deal").order_by("deal_id", "changed_at", "id")
    by_deal: dict[int, list[StageChange]] = {}
    for change in changes:
        by_deal.setdefault(change.deal_id, []).append(change)
    assert len(stays) == sum(len(history) for history in by_deal.values())
    for history in by_deal.values():
        for change, following in itertools.zip_longest(history, history[1:]):
            stay = stays[change.pk]
            assert (stay.deal_id, stay.owner_id, stay.stage_id) == (
                change.deal_id,
                change.deal.owner_id,
                change.to_stage_id,
            )
            assert stay.entered_at == change.changed_at
            assert stay.left_at == (following.changed_at if following else None)
    assert StageStay.objects.filter(advanced=True).exists()


def test_every_deal_at_or_past_the_appointment_has_a_confirmed_buyer(demo: DemoSummary) -> None:
    # given the gated stage and the deals that are at or past it, were won, or ever entered it
    gate = appointment_stage()
    open_stages_from_gate = Stage.objects.filter(
        pipeline=gate.pipeline, kind=StageKind.OPEN, position__gte=gate.position
    )
    reached = Deal.objects.filter(
        Q(stage__in=open_stages_from_gate)
        | Q(status=DealStatus.WON)
        | Q(stage_changes__to_stage__in=open_stages_from_gate)
    ).distinct()
    confirmed = DealContact.objects.filter(
        role__in=BUYING_AUTHORITY_ROLES, authority_confirmed_at__isnull=False
    ).exclude(authority_confirmed_by=None)

    # when those without a confirmed decision maker or economic buyer are looked for
    unconfirmed = reached.exclude(pk__in=confirmed.values("deal_id"))

    # then there are none but open deals whose buyer turned out not to decide: the confirmation was
    # withdrawn, which leaves the contact and its note, and the rep noted why (the wrong-buyer reps);
    # each confirmation says how and came before the deal entered the stage, and many earlier deals
    # have no confirmed buyer yet
    assert reached.exists()
    withdrawn = DealContact.objects.filter(
        role__in=BUYING_AUTHORITY_ROLES, authority_confirmed_at=None, authority_confirmed_by=None
    ).exclude(authority_note="")
    why = Activity.objects.filter(kind=ActivityKind.NOTE, subject__in=names.AUTHORITY_WITHDRAWN)
    assert unconfirmed.exists()
    assert set(unconfirmed.values_list("pk", flat=True)) == set(withdrawn.values_list("deal_id", flat=True))
    assert set(unconfirmed.values_list("pk", flat=True)) == set(why.values_list("deal_id", flat=True))
    assert set(unconfirmed.values_list("status", flat=True)) == {DealStatus.OPEN}
    assert not withdrawn.exclude(authority_confirmed_how="").exists()
    assert not confirmed.filter(authority_confirmed_how="").exists()
    entered_gate = (
        StageChange.objects.filter(deal=OuterRef("deal"), to_stage__in=open_stages_from_gate)
        .order_by("changed_at")
        .values("changed_at")[:1]
    )
    late = confirmed.annotate(entered=Subquery(entered_gate)).filter(authority_confirmed_at__gt=F("entered"))
    assert not late.exists()
    assert (
        Deal.objects.exclude(pk__in=reached.values("pk")).exclude(pk__in=confirmed.values("deal_id")).exists()
    )


def test_the_deals_activity_and_stage_marks_match_their_definitions(demo: DemoSummary) -> None:
    # given a generated demo (the fixture)
    # when the marks are computed again from the activities and the stage history (a prompt to agree a
    # next step is not one)
    recomputed = Deal.objects.annotate(
        last_done=Max("activities__done_at", filter=Q(activities__done_at__isnull=False)),
        next_planned=Min(
            "activities__due_at",
            filter=Q(activities__done_at__isnull=True, activities__cancelled_at__isnull=True)
            & ~Q(activities__purpose=ActivityPurpose.NEXT_STEP),
        ),
    ).values_list("id", "last_activity_at", "last_done", "next_activity_at", "next_planned")
    last_change = Deal.objects.annotate(last_change=Max("stage_changes__changed_at")).values_list(
        "stage_entered_at", "last_change"
    )

    # then they are what the deal says, and the versions and timestamps are a new deal's
    assert all(stored == computed for _, stored, computed, _, _ in recomputed)
    assert all(stored == computed for _, _, _, stored, computed in recomputed)
    assert all(stored == computed for stored, computed in last_change)
    assert not Deal.objects.exclude(version=1).exists()
    assert not Deal.objects.filter(
        Q(updated_at__lt=F("created_at")) | Q(stage_entered_at__lt=F("created_at"))
    ).exists()
    assert not Deal.objects.filter(created_at__gte=NOW).exists()


def test_activities_of_every_kind_are_done_cancelled_or_planned_ahead(demo: DemoSummary) -> None:
    # given a generated demo (the fixture)
    planned = Activity.objects.filter(done_at=None, cancelled_at=None)

    # when the activities are looked at by kind and state
    kinds = set(Activity.objects.values_list("kind", flat=True))

    # then every kind occurs; past work is done, some was cancelled, the next steps lie mostly ahead
    # (a few overdue), and appointments are planned for open deals at the appointment stage
    assert kinds == set(ActivityKind.values)
    assert not Activity.objects.filter(done_at__isnull=False, cancelled_at__isnull=False).exists()
    assert not Activity.objects.filter(ends_at__lt=F("due_at")).exists()
    assert not Activity.objects.filter(done_at__gt=NOW).exists()
    assert Activity.objects.filter(kind=ActivityKind.TRIAL).exclude(ends_at=None).exists()
    assert Activity.objects.exclude(cancelled_at=None).exists()
    assert planned.filter(due_at__gte=NOW).count() > planned.filter(due_at__lt=NOW).count() > 0
    assert not planned.filter(deal__status__in=[DealStatus.WON, DealStatus.LOST]).exists()
    assert planned.filter(
        kind=ActivityKind.MEETING,
        deal__stage=appointment_stage(),
        due_at__gte=NOW,
        due_at__lt=NOW + dt.timedelta(days=16),
    ).exists()
    reminders = Activity.objects.filter(
        parent__kind=ActivityKind.MEETING,
        purpose__in=[ActivityPurpose.MEETING_CALL, ActivityPurpose.MEETING_EMAIL],
    )
    assert set(reminders.values_list("kind", flat=True)) == {ActivityKind.CALL, ActivityKind.EMAIL}
    assert not Activity.objects.filter(done_at__isnull=False, outcome="").exists()
    open_deals = Deal.objects.filter(status=DealStatus.OPEN)
    assert open_deals.filter(next_activity_at=None).count() < open_deals.count() / 3


def test_open_deals_mostly_expect_to_close_within_four_months(demo: DemoSummary) -> None:
    # given the open deals of a generated demo
    open_deals = Deal.objects.filter(status=DealStatus.OPEN)

    # when their expected close dates are compared with today
    ahead = open_deals.filter(
        expected_close_date__gte=TODAY, expected_close_date__lte=TODAY + dt.timedelta(days=120)
    )
    overdue = open_deals.filter(expected_close_date__lt=TODAY)

    # then most lie ahead, some are overdue, and a few carry a manual probability
    assert ahead.count() > 0.75 * open_deals.count()
    assert overdue.exists()
    assert Deal.objects.filter(probability__isnull=False).exists()
    assert Deal.objects.exclude(budget_amount=None).exclude(budget_evidence="").exists()
    assert Deal.objects.exclude(decision_date=None).exists()


def test_foreign_currency_deals_carry_their_value_in_the_base_currency(
    demo: DemoSummary, settings: object
) -> None:
    # given the exchange rates the demo wrote
    rates = dict(ExchangeRate.objects.values_list("currency", "rate_to_base"))

    # when each deal's base value is converted again
    base = getattr(settings, "BASE_CURRENCY", "EUR")
    values = Deal.objects.values_list("currency", "value", "base_value")

    # then it agrees with its rate, most deals are in the base currency, and values are skewed
    assert set(rates) == {"USD", "GBP"}
    for currency, value, base_value in values:
        expected = value if currency == base else to_base(value, rate_to_base=rates[currency])
        assert base_value == expected
    assert sum(1 for currency, _, _ in values if currency == base) > 0.7 * len(values)
    amounts = sorted(value for _, value, _ in values)
    median, biggest = amounts[len(amounts) // 2], amounts[-1]
    assert biggest > 10 * median > Decimal(0)


def test_names_are_folded_so_search_ignores_accents_and_case(demo: DemoSummary) -> None:
    # given a generated demo (the fixture)
    # when the directory is searched without accents
    greek = Organization.objects.filter(search_name__contains="παπαδοπουλ")

    # then Greek companies written with accents are found, and every search name is the folded name
    assert greek.exists()
    assert any(name != fold(name) for name in greek.values_list("name", flat=True))
    for name, search_name in Organization.objects.values_list("name", "search_name"):
        assert search_name == fold(name)
    for title, search_title in Deal.objects.values_list("title", "search_title"):
        assert search_title == fold(title)[:200]
    for first_name, last_name, search_name in Person.objects.values_list(
        "first_name", "last_name", "search_name"
    ):
        assert search_name == fold(f"{first_name} {last_name}")
    assert not Person.objects.filter(Q(email="") | Q(phone="") | Q(job_title="")).exists()
    assert Person.objects.filter(email__endswith=".example").count() == Person.objects.count()


def test_reps_work_in_several_time_zones_in_teams_with_a_manager(demo: DemoSummary) -> None:
    # given a run with enough reps for three teams
    delete_generated_rows()
    demo_generate(reps=25, deals=0, seed=7, today=TODAY)

    # when the sales team is looked at
    teams = Team.objects.all()

    # then each team has a manager and six to ten reps, spread over time zones with working hours
    assert teams.count() == 3
    for team in teams:
        assert team.manager is not None
        assert team.manager.role == Role.MANAGER
        assert team.manager.team == team
        assert 6 <= team.members.filter(role=Role.REP).count() <= 10
    assert User.objects.values("time_zone").distinct().count() >= 3
    assert not User.objects.filter(workday_starts_at__gte=F("workday_ends_at")).exists()
    assert not Deal.objects.exists()


def test_every_demo_user_signs_in_with_the_demo_password(demo: DemoSummary) -> None:
    # given a generated demo (the fixture)
    # when the stored password hashes are checked
    hashes = set(User.objects.values_list("password", flat=True))

    # then one hash, made once, serves every user and matches the demo password
    assert len(hashes) == 1
    assert check_password("demo", hashes.pop())


def test_every_row_passes_field_validation_and_foreign_key_checks(demo: DemoSummary) -> None:
    # given a generated demo (the fixture)
    # when every row is validated as a form would validate it, and foreign keys are checked
    for model in GENERATED_MODELS:
        # Foreign keys are left to check_constraints and CHECK constraints to the database, which
        # enforced them on insert: full_clean would query once per key or constraint and row.
        relations = [field.name for field in model._meta.concrete_fields if field.is_relation]
        for instance in model._default_manager.all():
            instance.full_clean(exclude=relations, validate_unique=False, validate_constraints=False)
    connection.check_constraints()

    # then nothing was raised


def test_a_database_with_deals_is_refused(demo: DemoSummary) -> None:
    # given a database that has deals (the fixture's)
    # when the demo is generated again
    with pytest.raises(InvalidInput) as refused:
        demo_generate(reps=2, deals=10, today=TODAY)

    # then it is refused, saying where to point instead, and nothing was added
    assert "SALESPIPE_HOME" in refused.value.message
    assert "DATABASE_URL" in refused.value.message
    assert Deal.objects.count() == demo.deals


@pytest.mark.parametrize(("reps", "deals", "field"), [(0, 10, "reps"), (-1, 10, "reps"), (3, -1, "deals")])
def test_impossible_counts_are_refused(reps: int, deals: int, field: str) -> None:
    # given an empty database
    # when the demo is asked for no reps or a negative number of deals
    with pytest.raises(InvalidInput) as refused:
        demo_generate(reps=reps, deals=deals, today=TODAY)

    # then it says which count is wrong and writes nothing
    assert field in refused.value.fields
    assert not User.objects.exists()


def test_progress_is_reported_while_generating() -> None:
    # given a progress callback
    messages: list[str] = []

    # when a demo is generated
    demo_generate(reps=2, deals=40, seed=1, today=TODAY, progress=messages.append)

    # then it heard about the team, the directory, the deals and the quotas
    assert any("reps" in message for message in messages)
    assert any(message.startswith("organizations") for message in messages)
    assert "deals 40/40" in messages
    assert any(message.startswith("quotas") for message in messages)
    assert messages[-1].startswith("track records")
