"""Deterministic, realistic demo data: a sales team, its directory and two years of deals.

The same generator feeds `salespipe demo`, `salespipe init --demo` and the large-data benchmarks, so it
has to write a million deals (and their five million activities) in minutes. Rows are therefore made as
plain tuples in chunks and written by `salespipe.core.bulk` straight through the database driver, with
primary keys assigned here. Everything random comes from `random.Random` instances seeded from `seed`
(one per chunk), so the same seed and `today` always give the same rows.

Timestamps are whole minutes counted from the first day of the clock (UTC midnight); `bulk.Clock`
turns them into the text the database stores. Day 0 of the clock lies far enough in the past for the
directory's history, and the clock runs far enough into the future for planned activities.

Each rep is in a situation (`SITUATIONS`, handed out in turn) that shapes their deals, so that the
advice has something different to say to each: late stages full and no appointments booked, a crowded
top of the funnel, many appointments and few wins, decision makers who turned out not to decide, deals
stalled in their stage, big deals neglected, nothing closing next month, or none of these.

The rows keep the follow-up engine's rules (`activities/services.py`, `activities/followups.py`) as if
the services had written them, with the owners' working hours from `core.business_time`: meetings only
once the deal's decision maker is confirmed (where the stage's meeting gate is on), two reminders before
every meeting, a next step after every held one, deadlines and response times for information requests,
a check-in and a decision call for every trial.
"""

from __future__ import annotations

import datetime as dt
import math
import multiprocessing
import random
import time
import traceback
import zlib
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from salespipe.activities import followups
from salespipe.activities.models import Activity, ActivityKind, ActivityOutcome, ActivityPurpose
from salespipe.core.bulk import (
    Clock,
    Row,
    RowWriter,
    analyze,
    bulk_load_settings,
    foreign_keys_deferred,
    indexes_deferred,
    next_id,
    reset_sequences,
    row_writer,
    table_spec,
)
from salespipe.core.business_time import WorkingHours, add_working_time, start_of_previous_working_day
from salespipe.core.errors import InvalidInput
from salespipe.core.models import ExchangeRate
from salespipe.core.text import fold
from salespipe.deals.models import (
    AuthorityConfirmation,
    ContactRole,
    Deal,
    DealContact,
    DealSource,
    DealStatus,
    Stage,
    StageChange,
    StageKind,
    StageOutcome,
    StageStay,
    Urgency,
)
from salespipe.deals.pipelines import pipeline_ensure_default
from salespipe.deals.services import stage_stays_rebuild
from salespipe.demo import names
from salespipe.demo.quotas import write_quotas_and_plans
from salespipe.directory.models import Organization, Person
from salespipe.numbers.services import track_records_refresh
from salespipe.people.models import Role, Team, User

DAY = 24 * 60
WINDOW_DAYS = 730  # deals are created over the last two years
HISTORY_DAYS = 400  # the directory existed before the first demo deal
FUTURE_DAYS = 400  # planned activities and expected close dates lie ahead
CHUNK_DEALS = 10_000
DIRECTORY_BATCH = 20_000
MAX_ORGANIZATIONS = 100_000  # past this, more companies add rows but nothing to look at
BIG_RUN_DEALS = 50_000  # from here on indexes are built after the load
REPS_PER_TEAM = 10
# A company of a hundred reps or more runs bigger teams: the product's design size is 200 reps in teams
# of 20 (the manager's dashboard and numbers are measured on such a team).
BIG_TEAM_REPS, REPS_PER_BIG_TEAM = 100, 20

# Foreign-currency deals are valued with these rates (units of EUR per unit) unless the database
# already has a rate for the currency, which then wins so the demo agrees with the admin's settings.
EUR_PER_UNIT = {"EUR": Decimal(1), "USD": Decimal("0.92"), "GBP": Decimal("1.17"), "CHF": Decimal("1.06")}

DEMO_EMAIL_DOMAIN = "salespipe.example"

# Choice values the deal loop writes, as plain strings: the drivers get exactly what the ORM stores
# (psycopg would dump an Enum member by its name), and the loop avoids enum attribute lookups.
_CALL = ActivityKind.CALL.value
_DEMO = ActivityKind.DEMO.value
_EMAIL = ActivityKind.EMAIL.value
_GIFT = ActivityKind.GIFT.value
_INFO_REQUEST = ActivityKind.INFO_REQUEST.value
_MEETING = ActivityKind.MEETING.value
_NOTE = ActivityKind.NOTE.value
_TASK = ActivityKind.TASK.value
_TRIAL = ActivityKind.TRIAL.value
_OUTCOME_ANSWERED = ActivityOutcome.ANSWERED.value
_OUTCOME_CONNECTED = ActivityOutcome.CONNECTED.value
_OUTCOME_CONVERTED = ActivityOutcome.CONVERTED.value
_OUTCOME_DELIVERED = ActivityOutcome.DELIVERED.value
_OUTCOME_DONE = ActivityOutcome.DONE.value
_OUTCOME_HELD = ActivityOutcome.HELD.value
_OUTCOME_NOT_CONVERTED = ActivityOutcome.NOT_CONVERTED.value
_MEETING_CALL = ActivityPurpose.MEETING_CALL.value
_MEETING_EMAIL = ActivityPurpose.MEETING_EMAIL.value
_NEXT_STEP = ActivityPurpose.NEXT_STEP.value
_TRIAL_CHECK_IN = ActivityPurpose.TRIAL_CHECK_IN.value
_TRIAL_DECISION = ActivityPurpose.TRIAL_DECISION.value
_ROLE_CHAMPION = ContactRole.CHAMPION.value
_ROLE_DECISION_MAKER = ContactRole.DECISION_MAKER.value
_ROLE_ECONOMIC_BUYER = ContactRole.ECONOMIC_BUYER.value
_ROLE_GATEKEEPER = ContactRole.GATEKEEPER.value
_ROLE_INFLUENCER = ContactRole.INFLUENCER.value
_ROLE_USER = ContactRole.USER.value
_STATUS_LOST = DealStatus.LOST.value
_STATUS_OPEN = DealStatus.OPEN.value
_STATUS_WON = DealStatus.WON.value


@dataclass(frozen=True)
class DemoSummary:
    teams: int
    managers: int
    reps: int
    organizations: int
    people: int
    deals: int
    stage_changes: int
    activities: int
    deal_contacts: int
    seconds: float


def demo_generate(
    *,
    reps: int = 12,
    deals: int = 3000,
    seed: int = 1,
    today: dt.date | None = None,
    password: str = "demo",  # noqa: S107 - the documented demo sign-in
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Fill an empty database with a sales team and `deals` deals with history, contacts and activities.

    Every demo user (managers and reps) can sign in with `password`. Deals span the two years up to
    `today` (default: today in the configured time zone); planned activities lie in the coming days.
    """
    return generate(reps=reps, deals=deals, seed=seed, today=today, password=password, progress=progress)


def generate(
    *,
    reps: int,
    deals: int,
    seed: int,
    today: dt.date | None,
    password: str,
    progress: Callable[[str], None] | None,
    chunk_deals: int = CHUNK_DEALS,
    background: bool | None = None,
    defer_indexes: bool | None = None,
) -> DemoSummary:
    """`demo_generate` with the knobs that only change speed, not rows, exposed for the tests.

    `background` makes the deals in a forked worker process while this one writes; `defer_indexes`
    builds the big tables' plain indexes (and on PostgreSQL checks their foreign keys) after loading
    instead of row by row. Left at None, both are on for big runs only.
    """
    started = time.perf_counter()
    if reps < 1:
        raise InvalidInput(
            "The demo needs at least one sales rep; pass --reps 1 or more.", fields={"reps": "min 1"}
        )
    if deals < 0:
        raise InvalidInput(
            "The number of demo deals cannot be negative; pass --deals 0 or more.", fields={"deals": "min 0"}
        )
    if Deal.objects.exists():
        raise InvalidInput(
            "Demo data goes into an empty database, and this one has deals already. Point "
            "SALESPIPE_HOME (SQLite) or DATABASE_URL (PostgreSQL) at a fresh database, run "
            "`salespipe init`, then try again.",
            code="database_not_empty",
        )
    report = progress or (lambda message: None)
    today = today or timezone.localdate()
    if background is None:
        background = deals > 2 * chunk_deals and "fork" in multiprocessing.get_all_start_methods()
    if defer_indexes is None:
        defer_indexes = deals >= BIG_RUN_DEALS
    clock = Clock(
        first_day=today - dt.timedelta(days=WINDOW_DAYS + HISTORY_DAYS),
        days=WINDOW_DAYS + HISTORY_DAYS + FUTURE_DAYS,
        vendor=connection.vendor,
    )
    writer = row_writer(connection)
    stages = list(pipeline_ensure_default().stages.order_by("position"))
    pipeline = _PipelineShape.of(stages)
    currencies = _ensure_exchange_rates(writer, clock)

    team = _write_sales_team(writer, clock, reps=reps, seed=seed, password=password)
    report(f"sales team: {len(team.team_ids)} teams, {len(team.manager_ids)} managers, {len(team.reps)} reps")
    organizations = 0 if deals == 0 else min(MAX_ORGANIZATIONS, max(deals // 4, reps, 1))
    directory = _write_directory(writer, clock, team, organizations=organizations, seed=seed, report=report)

    factory = _DealFactory(
        clock=clock, team=team, directory=directory, pipeline=pipeline, currencies=currencies, seed=seed
    )
    counts = {"deals": 0, "stage_changes": 0, "deal_contacts": 0, "activities": 0, "stage_stays": 0}
    outcomes: Counter[tuple[int, bool]] = Counter()
    big_tables = [Deal, StageChange, DealContact, Activity]
    deferred = big_tables if defer_indexes else []
    with (
        foreign_keys_deferred(connection, deferred),
        indexes_deferred(connection, deferred),
        bulk_load_settings(connection),
    ):
        for chunk in deal_chunks(factory, deals=deals, chunk_deals=chunk_deals, background=background):
            with transaction.atomic():
                counts["deals"] += writer.write(factory.deal_spec, chunk.deals)
                counts["stage_changes"] += writer.write(factory.stage_change_spec, chunk.stage_changes)
                counts["deal_contacts"] += writer.write(factory.contact_spec, chunk.contacts)
                counts["activities"] += writer.write(factory.activity_spec, chunk.activities)
            outcomes.update(chunk.stage_outcomes)
            report(f"deals {counts['deals']}/{deals}")
        if defer_indexes:
            report("building indexes")  # and, on PostgreSQL, checking the foreign keys

    reset_sequences(connection, [Team, User, Organization, Person, Deal, StageChange, DealContact, Activity])
    # Straight from the history just written, as its window functions read it faster than the stays
    # could be worked out here deal by deal.
    with indexes_deferred(connection, [StageStay] if defer_indexes else []):
        counts["stage_stays"] = stage_stays_rebuild()
    report(f"stage stays {counts['stage_stays']}")
    analyze(connection, [*big_tables, StageStay])
    _write_stage_outcomes(outcomes)
    quotas = write_quotas_and_plans(
        rep_ids=[rep.user_id for rep in team.reps], team_ids=team.team_ids, today=today, seed=seed
    )
    report(f"quotas {quotas}, commission plans for {len(team.reps)} reps")
    # The worker counts these once a day; the demo's plan should not wait for it.
    report(f"track records {track_records_refresh()}")
    return DemoSummary(
        teams=len(team.team_ids),
        managers=len(team.manager_ids),
        reps=len(team.reps),
        organizations=directory.organizations,
        people=directory.people,
        deals=counts["deals"],
        stage_changes=counts["stage_changes"],
        activities=counts["activities"],
        deal_contacts=counts["deal_contacts"],
        seconds=round(time.perf_counter() - started, 3),
    )


def _write_stage_outcomes(outcomes: Counter[tuple[int, bool]]) -> None:
    """Store the won and lost deals per open stage, as the services would have kept them.

    They are tallied while the deals are made: `stage_outcomes_rebuild()` finds the same from the
    history (the tests hold them to it), but at a million deals its recount would add many seconds.
    """
    with transaction.atomic():
        StageOutcome.objects.all().delete()
        StageOutcome.objects.bulk_create(
            StageOutcome(
                stage_id=stage_id, won_deals=outcomes[stage_id, True], lost_deals=outcomes[stage_id, False]
            )
            for stage_id in sorted({stage_id for stage_id, _ in outcomes})
        )


# --- Pipeline -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PipelineShape:
    pipeline_id: int
    open_stage_ids: tuple[int, ...]
    won_stage_id: int
    lost_stage_id: int
    # Index (among open stages) of the first stage that needs a confirmed decision maker. Deals that
    # reach it, or are won, get one confirmed before they enter it, as the stage gates demand.
    gate: int
    # Per open stage: whether a meeting may be booked there only with a confirmed decision maker.
    meeting_gate: tuple[bool, ...]

    @classmethod
    def of(cls, stages: Sequence[Stage]) -> _PipelineShape:
        open_stages = [stage for stage in stages if stage.kind == StageKind.OPEN]
        won = [stage for stage in stages if stage.kind == StageKind.WON]
        lost = [stage for stage in stages if stage.kind == StageKind.LOST]
        if not open_stages or len(won) != 1 or len(lost) != 1:
            raise InvalidInput("The default pipeline needs open stages and one won and one lost stage.")
        gated = [index for index, stage in enumerate(open_stages) if stage.requires_decision_maker]
        return cls(
            pipeline_id=open_stages[0].pipeline_id,
            open_stage_ids=tuple(stage.pk for stage in open_stages),
            won_stage_id=won[0].pk,
            lost_stage_id=lost[0].pk,
            gate=gated[0] if gated else len(open_stages) // 2,
            meeting_gate=tuple(stage.meeting_requires_decision_maker for stage in open_stages),
        )


@dataclass(frozen=True)
class _Path:
    """One way through the open stages: the stages in order, a note per move, where the gate is passed."""

    stages: tuple[int, ...]
    notes: tuple[str, ...]
    gate_position: int  # index into `stages` of the first stage at or past the gate, -1 if never


_BACK_MOVE_NOTES = (
    "Moved back: the prospect wants another demo",
    "Moved back: a new stakeholder joined",
    "Moved back: requirements changed",
)
_PATH_VARIANTS = 64


def _path_variants(top: int, gate: int, rng: random.Random) -> tuple[_Path, ...]:
    """Ways to walk from the first open stage up to `top`: mostly forward, sometimes skipping a stage,
    now and then one step back and forward again. Drawing from a small table keeps per-deal work low."""
    variants = []
    for _ in range(_PATH_VARIANTS):
        walked = [0]
        for stage in range(1, top + 1):
            # The gate stage is kept so that every gated deal has its appointment in the history.
            if stage not in (top, gate) and rng.random() < 0.12:
                continue
            walked.append(stage)
        notes = [""] * len(walked)
        if len(walked) >= 3 and rng.random() < 0.08:
            back_from = rng.randrange(2, len(walked))
            walked = [*walked[: back_from + 1], walked[back_from - 1], *walked[back_from:]]
            notes = [""] * len(walked)
            notes[back_from + 1] = rng.choice(_BACK_MOVE_NOTES)
        gate_position = next((index for index, stage in enumerate(walked) if stage >= gate), -1)
        variants.append(_Path(tuple(walked), tuple(notes), gate_position))
    return tuple(variants)


# --- Exchange rates -------------------------------------------------------------------------------


def _ensure_exchange_rates(writer: RowWriter, clock: Clock) -> list[tuple[str, int]]:
    """The deal currencies with their rate to the base currency in units of 1e-8 (integer maths later).

    The base currency comes first; two foreign currencies follow when a rate is known for them.
    """
    base = str(settings.BASE_CURRENCY)
    existing = dict(ExchangeRate.objects.values_list("currency", "rate_to_base"))
    foreign = [code for code in ("USD", "GBP", "EUR") if code != base][:2]
    missing: list[Row] = []
    currencies = [(base, 10**8)]
    for code in foreign:
        rate = existing.get(code)
        if rate is None:
            if base not in EUR_PER_UNIT:
                continue
            rate = (EUR_PER_UNIT[code] / EUR_PER_UNIT[base]).quantize(Decimal("0.00000001"))
            missing.append((code, str(rate), clock.stamp((WINDOW_DAYS + HISTORY_DAYS) * DAY)))
        currencies.append((code, int(rate * 10**8)))
    with transaction.atomic():
        writer.write(table_spec(ExchangeRate, ("currency", "rate_to_base", "updated_at")), missing)
    return currencies


# --- Sales team -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rep:
    user_id: int
    locale: str
    language: str  # of the engine's task subjects: the rep's own, else the site's
    hours: WorkingHours
    utc_offsets: list[int]  # minutes east of UTC, per clock day, in the rep's time zone
    workday_start: int  # local minute of the day
    workday_length: int  # minutes
    win_rate: float
    open_stage_wheel: tuple[int, ...]  # where this rep's open deals sit, drawn by index
    lost_stage_wheel: tuple[int, ...]  # where this rep loses deals; a weak stage shows up here
    response_minutes: float  # the working minutes this rep typically takes to answer a request
    situation: str  # what the rep's coach would see first (SITUATIONS)


@dataclass(frozen=True)
class _SalesTeam:
    team_ids: list[int]
    manager_ids: list[int]
    reps: list[_Rep]


# Situations that shape a rep's deals so that the advice (docs/advice.md, "In the demo") has something
# different to say to each: handed out to reps in turn, so a default demo of 12 reps shows every one
# (the first rep, whom `salespipe init --demo` offers as the rep login, is starved of appointments) and
# bigger teams repeat them.
STARVED = "starved"  # late stages full, no appointment booked ahead: more cold calls
CROWDED = "crowded"  # all deals at the top of the funnel: more research and presentations
WEAK_CLOSER = "weak_closer"  # many appointments, few wins: closing skills
WRONG_BUYER = "wrong_buyer"  # "decision makers" who turned out not to decide: confirm the decision maker
STALLED = "stalled"  # deals sitting in their stage for weeks, no demo or trial offered
NEGLECTED_BIG_DEALS = "neglected_big_deals"  # the biggest deals gone quiet: big deal at risk
FAMINE = "famine"  # nothing expected to close next month: famine ahead
STEADY = "steady"  # none of the above
SITUATIONS = (STARVED, CROWDED, WEAK_CLOSER, WRONG_BUYER, STALLED, NEGLECTED_BIG_DEALS, FAMINE, STEADY)


def rep_situation(rep_number: int) -> str:
    """The situation of the demo's `rep_number`-th rep (0 first, in the order of their ids)."""
    return SITUATIONS[rep_number % len(SITUATIONS)]


# Where reps' open deals sit, per open stage (six; rescaled to the pipeline's by _DealFactory): most
# near the top, fewer further on. A starved rep's sit late; a crowded rep's never do.
_OPEN_STAGE_WEIGHTS = tuple(0.78**stage for stage in range(6))
_OPEN_STAGE_WEIGHTS_BY_SITUATION = {
    STARVED: (0.5, 0.4, 0.3, 0.3, 2.2, 2.2),
    CROWDED: (3.0, 2.5, 0.4, 0.2, 0.0, 0.0),
}
# A weak closer wins few deals and loses most of the others after the appointment.
_WEAK_CLOSER_WIN_RATE = 0.15
_WEAK_CLOSER_LOST_WEIGHTS = (0.3, 0.3, 0.3, 2.5, 2.0, 1.5)

_WORKDAYS = ((8 * 60, 8 * 60), (8 * 60 + 30, 8 * 60 + 30), (9 * 60, 8 * 60), (9 * 60 + 30, 8 * 60 + 30))
_WORKING_WEEKDAYS = "12345"
# Typical working minutes to answer an information request, handed out to reps in turn (then varied a
# little), so that even a small team has fast and slow responders for the response-time report.
_RESPONSE_MINUTES = (25, 150, 60, 320, 40, 100, 200, 30)


def _minutes_text(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}:00"


def _language(locale: str, rng: random.Random) -> str:
    """A user's language setting: Greek offices mostly work in Greek, the others in English, and many
    leave it empty (the site's language)."""
    draw = rng.random()
    if locale == "GR":
        return "el" if draw < 0.8 else ("en" if draw < 0.9 else "")
    return "en" if draw < 0.4 else ("el" if draw < 0.45 else "")


def _utc_offsets(zone_name: str, clock: Clock) -> list[int]:
    zone = zoneinfo.ZoneInfo(zone_name)
    offsets = []
    for day in range(clock.days):
        noon = dt.datetime.combine(clock.first_day + dt.timedelta(days=day), dt.time(12), tzinfo=zone)
        offset = noon.utcoffset()
        offsets.append(int(offset.total_seconds()) // 60 if offset else 0)
    return offsets


def _stage_wheel(weights: Sequence[float], size: int = 200) -> tuple[int, ...]:
    """A tuple in which each stage index appears in proportion to its weight: one index draws one. A
    stage of weight 0 is never drawn; any other at least now and then."""
    total = sum(weights)
    wheel: list[int] = []
    for stage, weight in enumerate(weights):
        if weight > 0:
            wheel.extend([stage] * max(1, round(size * weight / total)))
    return tuple(wheel)


def _write_sales_team(writer: RowWriter, clock: Clock, *, reps: int, seed: int, password: str) -> _SalesTeam:
    rng = random.Random(f"salespipe-demo:{seed}:team")
    # The users' settings come from a generator of their own, so that the team (names, logins, zones,
    # hours) stays what it was before the settings existed.
    settings_rng = random.Random(f"salespipe-demo:{seed}:user-settings")
    password_hash = make_password(password)  # once: hashing is deliberately slow
    taken_usernames = set(User.objects.values_list("username", flat=True))
    taken_team_names = set(Team.objects.values_list("name", flat=True))
    team_count = math.ceil(reps / (REPS_PER_BIG_TEAM if reps >= BIG_TEAM_REPS else REPS_PER_TEAM))
    # One team emails its prospects before appointments (and one of its reps opts out); elsewhere a
    # couple of reps do so on their own.
    emailing_team = 1 if team_count > 1 else 0
    first_team_id = next_id(connection, Team)
    user_id = next_id(connection, User)
    window_start = HISTORY_DAYS * DAY
    offsets_by_zone: dict[str, list[int]] = {}

    def unique_username(first_name: str, last_name: str) -> str:
        stem = names.latin_slug(f"{first_name} {last_name}") or "rep"
        username, suffix = stem, 1
        while username in taken_usernames:
            suffix += 1
            username = f"{stem}{suffix}"
        taken_usernames.add(username)
        return username

    team_ids: list[int] = []
    team_rows: list[tuple[int, str, int, bool, str]] = []
    user_rows: list[Row] = []
    manager_ids: list[int] = []
    sales_reps: list[_Rep] = []
    stage_count = 6  # wheels are rescaled to the pipeline's open stages by _DealFactory
    for team_index in range(team_count):
        home_office = names.SALES_OFFICES[team_index % len(names.SALES_OFFICES)]
        city = home_office[0]
        segment = names.TEAM_SEGMENTS[(team_index // len(names.SALES_OFFICES)) % len(names.TEAM_SEGMENTS)]
        team_name = f"{city} {segment}"
        suffix = 1
        while team_name in taken_team_names:
            suffix += 1
            team_name = f"{city} {segment} {suffix}"
        taken_team_names.add(team_name)
        team_id = first_team_id + team_index
        team_ids.append(team_id)
        joined = window_start - rng.randrange(30, 400) * DAY + 9 * 60
        # Its first member manages it.
        team_rows.append((team_id, team_name, user_id, team_index == emailing_team, clock.stamp(joined)))

        members = reps // team_count + (1 if team_index < reps % team_count else 0)
        for member in range(members + 1):
            is_manager = member == 0
            # A virtual team: a quarter of the reps work from another office's time zone.
            office = home_office
            if not is_manager and rng.random() < 0.25:
                office = rng.choice(names.SALES_OFFICES)
            _, zone_name, locale = office
            first_name, last_name = names.person_name(names.LOCALES[locale], rng)
            username = unique_username(first_name, last_name)
            starts, length = rng.choice(_WORKDAYS)
            language = _language(locale, settings_rng)
            rep_number = len(sales_reps)
            prospect_emails: bool | None = None  # as the team says
            if not is_manager and team_index == emailing_team and member == members:
                prospect_emails = False
            elif not is_manager and team_index != emailing_team and rep_number in (1, 4):
                prospect_emails = True
            daily_digest = is_manager or settings_rng.random() < 0.85
            user_rows.append(
                (
                    user_id,
                    password_hash,
                    None,
                    False,
                    username,
                    first_name,
                    last_name,
                    f"{username}@{DEMO_EMAIL_DOMAIN}",
                    False,
                    True,
                    clock.stamp(joined + rng.randrange(0, 60) * DAY),
                    Role.MANAGER.value if is_manager else Role.REP.value,
                    team_id,
                    zone_name,
                    _minutes_text(starts),
                    _minutes_text(starts + length),
                    _WORKING_WEEKDAYS,
                    language,
                    prospect_emails,
                    daily_digest,
                    True,  # weekly_digest: the team email goes to managers only
                )
            )
            if is_manager:
                manager_ids.append(user_id)
            else:
                if zone_name not in offsets_by_zone:
                    offsets_by_zone[zone_name] = _utc_offsets(zone_name, clock)
                # Reps differ: a few close well, some lose many deals at one particular stage; and each
                # has a situation of their own.
                weak_stage = rng.randrange(stage_count) if rng.random() < 0.5 else -1
                lost_weights: Sequence[float] = [
                    0.8**stage * (2.5 if stage == weak_stage else 1.0) for stage in range(stage_count)
                ]
                win_rate = min(0.6, max(0.2, rng.gauss(0.40, 0.07)))
                situation = rep_situation(rep_number)
                if situation == WEAK_CLOSER:
                    win_rate, lost_weights = _WEAK_CLOSER_WIN_RATE, _WEAK_CLOSER_LOST_WEIGHTS
                sales_reps.append(
                    _Rep(
                        user_id=user_id,
                        locale=locale,
                        language=language or settings.LANGUAGE_CODE,
                        hours=WorkingHours.parse(
                            zone=zone_name,
                            starts_at=dt.time(starts // 60, starts % 60),
                            ends_at=dt.time((starts + length) // 60, (starts + length) % 60),
                            weekdays=_WORKING_WEEKDAYS,
                        ),
                        utc_offsets=offsets_by_zone[zone_name],
                        workday_start=starts,
                        workday_length=length,
                        win_rate=win_rate,
                        open_stage_wheel=_stage_wheel(
                            _OPEN_STAGE_WEIGHTS_BY_SITUATION.get(situation, _OPEN_STAGE_WEIGHTS)
                        ),
                        lost_stage_wheel=_stage_wheel(lost_weights),
                        response_minutes=_RESPONSE_MINUTES[rep_number % len(_RESPONSE_MINUTES)]
                        * settings_rng.uniform(0.8, 1.25),
                        situation=situation,
                    )
                )
            user_id += 1

    # Teams first without their managers, the users, then the managers: the rows refer to each other.
    with transaction.atomic():
        writer.write(
            table_spec(Team, ("id", "name", "manager", "prospect_reminder_emails", "created_at")),
            [(team_id, name, None, emails, created) for team_id, name, _, emails, created in team_rows],
        )
        writer.write(
            table_spec(
                User,
                (
                    "id",
                    "password",
                    "last_login",
                    "is_superuser",
                    "username",
                    "first_name",
                    "last_name",
                    "email",
                    "is_staff",
                    "is_active",
                    "date_joined",
                    "role",
                    "team",
                    "time_zone",
                    "workday_starts_at",
                    "workday_ends_at",
                    "working_weekdays",
                    "language",
                    "prospect_reminder_emails",
                    "daily_digest",
                    "weekly_digest",
                ),
            ),
            user_rows,
        )
        for team_id, _, manager_id, _, _ in team_rows:
            Team.objects.filter(pk=team_id).update(manager_id=manager_id)
    return _SalesTeam(team_ids=team_ids, manager_ids=manager_ids, reps=sales_reps)


# --- Directory ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Directory:
    organizations: int
    people: int
    organization_ids: list[int]
    organization_names: list[str]
    organization_search_names: list[str]  # folded, for deal titles' search form
    first_person_ids: list[int]  # an organization's people have consecutive ids from here
    person_counts: list[int]
    # A rep's accounts are organizations rep_index, rep_index + reps, rep_index + 2 * reps, ...
    accounts_per_rep: list[int]


_ORGANIZATION_FIELDS = (
    "id", "name", "search_name", "website", "domain", "phone", "address", "city", "country", "industry",
    "size", "created_by", "created_at", "updated_at",
)  # fmt: skip
# Most accounts are small businesses. Drawn from the name's checksum, not the generator's random stream,
# so adding the column left every other value of the demo data as it was.
_ORGANIZATION_SIZES = ("1-10", "1-10", "11-50", "11-50", "11-50", "51-200", "51-200", "201-1000", "1001+")
_PERSON_FIELDS = (
    "id", "organization", "first_name", "last_name", "search_name", "email", "phone", "job_title",
    "created_by", "created_at", "updated_at",
)  # fmt: skip
# Accounts outside a rep's home market: the company is Greek, so a third of them are Greek too.
_FOREIGN_LOCALES = ("GR", "GR", "GR", "GB", "DE", "US", "SG", "FR", "ES")


def _write_directory(
    writer: RowWriter,
    clock: Clock,
    team: _SalesTeam,
    *,
    organizations: int,
    seed: int,
    report: Callable[[str], None],
) -> _Directory:
    rng = random.Random(f"salespipe-demo:{seed}:directory")
    organization_spec = table_spec(Organization, _ORGANIZATION_FIELDS)
    person_spec = table_spec(Person, _PERSON_FIELDS)
    first_organization_id = next_id(connection, Organization)
    person_id = next_id(connection, Person)
    rep_count = len(team.reps)
    taken_names: set[str] = set(Organization.objects.values_list("name", flat=True))
    organization_names: list[str] = []
    organization_search_names: list[str] = []
    first_person_ids: list[int] = []
    person_counts: list[int] = []
    people = 0
    folded_names: dict[str, str] = {}
    stamp = clock.stamp
    history_start = HISTORY_DAYS * DAY

    for batch_start in range(0, organizations, DIRECTORY_BATCH):
        organization_rows: list[Row] = []
        person_rows: list[Row] = []
        for index in range(batch_start, min(organizations, batch_start + DIRECTORY_BATCH)):
            rep = team.reps[index % rep_count]
            locale = names.LOCALES[rep.locale if rng.random() < 0.7 else rng.choice(_FOREIGN_LOCALES)]
            name, industry, domain_stem = names.organization_name(locale, rng)
            city = rng.choice(locale.cities)
            if name in taken_names:
                name = f"{name} ({city})"
                branch = 1
                while name in taken_names:
                    branch += 1
                    name = f"{name.rsplit(' (', 1)[0]} ({city} {branch})"
            taken_names.add(name)
            organization_names.append(name)
            organization_search_name = fold(name)
            organization_search_names.append(organization_search_name)
            # A reserved .example domain: reminders sent from a demo must never reach a real company.
            domain = f"{domain_stem or 'company'}.example"
            created = (
                history_start - rng.randrange(1, HISTORY_DAYS - 10) * DAY + rng.randrange(8 * 60, 17 * 60)
            )
            phone_number = rng.randrange(10_000)
            organization_rows.append(
                (
                    first_organization_id + index,
                    name,
                    organization_search_name,
                    f"https://www.{domain}",
                    domain,
                    locale.phone_format.format(n=phone_number, n2=phone_number % 100),
                    f"{rng.choice(locale.streets)} {rng.randrange(1, 200)}",
                    city,
                    locale.code,
                    industry,
                    _ORGANIZATION_SIZES[zlib.crc32(name.encode()) % len(_ORGANIZATION_SIZES)],
                    rep.user_id,
                    stamp(created),
                    stamp(created),
                )
            )
            count = rng.choice((1, 2, 2, 3, 3))
            first_person_ids.append(person_id)
            person_counts.append(count)
            for slot in range(count):
                first_name, last_name = names.person_name(locale, rng)
                full_name = f"{first_name} {last_name}"
                search_name = folded_names.get(full_name)
                if search_name is None:
                    search_name = folded_names[full_name] = fold(full_name)
                phone_number = rng.randrange(10_000)
                person_rows.append(
                    (
                        person_id,
                        first_organization_id + index,
                        first_name,
                        last_name,
                        search_name,
                        f"{names.latin_slug(first_name)}.{names.latin_slug(last_name)}@{domain}",
                        locale.phone_format.format(n=phone_number, n2=phone_number % 100),
                        rng.choice(locale.job_titles[slot]),
                        rep.user_id,
                        stamp(created + 5 + slot),
                        stamp(created + 5 + slot),
                    )
                )
                person_id += 1
            people += count
        with transaction.atomic():
            writer.write(organization_spec, organization_rows)
            writer.write(person_spec, person_rows)
        report(f"organizations {len(organization_names)}/{organizations}, people {people}")

    accounts_per_rep = [len(range(rep_index, organizations, rep_count)) for rep_index in range(rep_count)]
    return _Directory(
        organizations=organizations,
        people=people,
        organization_ids=list(range(first_organization_id, first_organization_id + organizations)),
        organization_names=organization_names,
        organization_search_names=organization_search_names,
        first_person_ids=first_person_ids,
        person_counts=person_counts,
        accounts_per_rep=accounts_per_rep,
    )


# --- Deals ----------------------------------------------------------------------------------------

_DEAL_FIELDS = (
    "id", "title", "search_title", "organization", "person", "owner", "pipeline", "stage", "status",
    "value", "currency", "base_value", "expected_close_date", "probability", "source", "budget_amount",
    "budget_evidence", "decision_date", "urgency", "lost_reason", "won_at", "lost_at", "stage_entered_at",
    "last_activity_at", "next_activity_at", "version", "created_by", "created_at", "updated_at",
)  # fmt: skip
_STAGE_CHANGE_FIELDS = (
    "id",
    "deal",
    "from_stage",
    "to_stage",
    "to_status",
    "changed_by",
    "changed_at",
    "note",
)
_CONTACT_FIELDS = (
    "id", "deal", "person", "role", "authority_confirmed_at", "authority_confirmed_by",
    "authority_confirmed_how", "authority_note", "created_at",
)  # fmt: skip
_ACTIVITY_FIELDS = (
    "id", "kind", "subject", "note", "owner", "deal", "person", "organization", "parent", "due_at",
    "duration_minutes", "ends_at", "done_at", "cancelled_at", "outcome", "purpose", "received_at",
    "response_minutes", "notified_at", "created_by", "created_at",
)  # fmt: skip


def _wheel(weighted: Sequence[tuple[str, int]]) -> tuple[str, ...]:
    return tuple(str(value) for value, weight in weighted for _ in range(weight))


_SOURCE_WHEEL = _wheel(
    [
        (DealSource.COLD_CALL, 24),
        (DealSource.REFERRAL, 16),
        (DealSource.WEBSITE, 18),
        (DealSource.EVENT, 8),
        (DealSource.PARTNER, 8),
        (DealSource.INBOUND, 12),
        (DealSource.EXISTING_CUSTOMER, 10),
        (DealSource.OTHER, 2),
        ("", 2),
    ]
)
_URGENCY_WHEEL = _wheel([(Urgency.LOW, 3), (Urgency.MEDIUM, 4), (Urgency.HIGH, 2), ("", 5)])
_LOST_REASON_WHEEL = _wheel(names.LOST_REASONS)
_CONFIRMATION_WHEEL = _wheel(
    [
        (AuthorityConfirmation.ASKED_DIRECTLY, 5), (AuthorityConfirmation.MEETING, 4),
        (AuthorityConfirmation.EMAIL, 2), (AuthorityConfirmation.ORG_CHART, 2),
        (AuthorityConfirmation.REFERRAL, 1), (AuthorityConfirmation.OTHER, 1),
    ]
)  # fmt: skip
_CALL_OUTCOMES = _wheel(
    [(_OUTCOME_CONNECTED, 12), (ActivityOutcome.NO_ANSWER, 5), (ActivityOutcome.LEFT_MESSAGE, 3)]
)
_MEETING_OUTCOMES = _wheel(
    [
        (_OUTCOME_HELD, 17),
        (ActivityOutcome.NO_SHOW, 1),
        (ActivityOutcome.RESCHEDULED, 2),
        (ActivityOutcome.CANCELLED_BY_PROSPECT, 1),
    ]
)
_DEMO_OUTCOMES = _wheel([(_OUTCOME_HELD, 9), (ActivityOutcome.NO_SHOW, 1)])
_DONE = (_OUTCOME_DONE,)

# kind -> (outcomes drawn when done, duration in minutes); trials and information requests are made
# by their own rules.
_KIND_DETAILS: dict[str, tuple[tuple[str, ...], int | None]] = {
    _CALL: (_CALL_OUTCOMES, 15),
    _EMAIL: (_DONE, None),
    _MEETING: (_MEETING_OUTCOMES, 60),
    _DEMO: (_DEMO_OUTCOMES, 45),
    _TRIAL: ((_OUTCOME_CONVERTED, _OUTCOME_NOT_CONVERTED), None),
    _GIFT: ((_OUTCOME_DELIVERED,), None),
    _TASK: (_DONE, None),
    _NOTE: (_DONE, None),
    _INFO_REQUEST: ((_OUTCOME_ANSWERED,), None),
}

# What reps do while a deal sits in a stage, by the stage's role in the funnel: (kind, chance). Deals
# that were won had more demos, trials and gifts than those lost, as the with/without report shows.
_PHASE_ACTIVITIES: dict[str, tuple[tuple[str, float], ...]] = {
    "prospect": ((_CALL, 0.6), (_EMAIL, 0.25), (_NOTE, 0.08)),
    "qualify": ((_CALL, 0.3), (_EMAIL, 0.15), (_INFO_REQUEST, 0.12), (_NOTE, 0.1)),
    # After a held appointment the rep plans a follow-up email or call (see after_held).
    "appointment": ((_MEETING, 0.92),),
    "evaluate": ((_DEMO, 0.5), (_GIFT, 0.08), (_CALL, 0.15)),
    "propose": ((_EMAIL, 0.35), (_CALL, 0.2), (_MEETING, 0.15), (_TASK, 0.2)),
    "won": ((_TASK, 0.35), (_GIFT, 0.12)),
    "lost": ((_NOTE, 0.4),),
}
_PHASE_ACTIVITIES_WON = {**_PHASE_ACTIVITIES, "evaluate": ((_DEMO, 0.6), (_GIFT, 0.1), (_CALL, 0.15))}
_PHASE_ACTIVITIES_LOST = {**_PHASE_ACTIVITIES, "evaluate": ((_DEMO, 0.4), (_GIFT, 0.06), (_CALL, 0.15))}
# The chance of a trial for a deal that reaches an evaluation stage, by how the deal ended: drawn before
# the stage times, as a trial shapes them (see `chunk`).
_TRIAL_CHANCE_WON, _TRIAL_CHANCE_LOST, _TRIAL_CHANCE_OPEN = 0.28, 0.14, 0.2
# Days from a trial's end to its decision call at the latest: a Friday evening end calls on Monday.
_TRIAL_DECISION_SLACK_DAYS = 3
# The next step planned on an open deal, by phase. A recent information request not answered yet
# stands for one in the early phases.
_NEXT_STEP_KINDS: dict[str, tuple[str, ...]] = {
    "prospect": (_CALL, _CALL, _EMAIL),
    "qualify": (_CALL, _EMAIL, _MEETING),
    "appointment": (_MEETING,),
    "evaluate": (_DEMO, _CALL, _TASK),
    "propose": (_CALL, _MEETING, _EMAIL, _TASK),
}
# A rep starved of appointments (STARVED) calls and writes instead.
_NEXT_STEP_KINDS_WITHOUT_APPOINTMENTS: dict[str, tuple[str, ...]] = {
    **_NEXT_STEP_KINDS,
    "qualify": (_CALL, _EMAIL, _CALL),
    "appointment": (_CALL, _EMAIL),
    "evaluate": (_CALL, _CALL, _TASK),
    "propose": (_CALL, _CALL, _EMAIL, _TASK),
}
# Deals left in their stage (STALLED) get no demo or trial.
_PHASE_ACTIVITIES_STALLED = {**_PHASE_ACTIVITIES, "evaluate": ((_GIFT, 0.08), (_CALL, 0.3))}
# A deal worth this much (in its currency; about twice the typical deal) is one its rep looks after:
# worked on in the last few days, a next step planned, a close date ahead. A rep who neglects big deals
# (NEGLECTED_BIG_DEALS) has done nothing on their open ones for three weeks or more and planned nothing.
_BIG_DEAL_VALUE = 10_000
_NEGLECTED_DAYS = 21
# The mean days open deals have sat in their stage; a stalled rep's (STALLED) sit there much longer.
_OPEN_STAY_DAYS, _STALLED_STAY_DAYS = 12, 45
# Open deals expect to close within this many days (a sales cycle or two), so that the months ahead
# mostly hold what the reps' quotas ask for; a famine rep's (FAMINE) only from this many days on: after
# the end of next month, whatever the day.
_CLOSE_DAYS_AHEAD, _FAMINE_CLOSE_DAYS = 75, 65
# A stalled rep leaves more old deals open: this share of those older than their sales cycle (else 6 %).
_STALLED_STUCK_SHARE = 0.15
# The share of a wrong-buyer rep's (WRONG_BUYER) open deals past the appointment whose decision maker
# turned out not to decide: the confirmation was withdrawn (`contact_withdraw_authority`) and a note says
# why.
_WITHDRAWN_SHARE = 0.5
# The engine's tasks, as activity_schedule makes them: (purpose, kind).
_MEETING_REMINDERS = ((_MEETING_CALL, _CALL), (_MEETING_EMAIL, _EMAIL))
# Held appointments: the share after which the rep planned nothing in time and the engine asked for a
# next step.
_NEXT_STEP_PROMPT_SHARE = 0.12
_UNIT_RATE = 10**8  # exchange rates are carried as integers in units of 1e-8


def _engine_subjects(language: str) -> dict[str, str]:
    """The subjects of the engine's tasks in a language, each with a `%(subject)s` for its parent's: the
    texts of activities/services.py, so that they share its translations."""
    with translation.override(language):
        return {
            _MEETING_CALL: gettext("Call to confirm the appointment: %(subject)s"),
            _MEETING_EMAIL: gettext("Email to confirm the appointment: %(subject)s"),
            _TRIAL_CHECK_IN: gettext("Trial check-in: how is it going? %(subject)s"),
            _TRIAL_DECISION: gettext("The trial ends: ask for the decision. %(subject)s"),
            _NEXT_STEP: gettext("Agree the next step after: %(subject)s"),
        }


class _WorkingTime:
    """The working-time rules (`core.business_time`, `activities.followups`) for one set of working
    hours, over clock minutes.

    The rules are pure functions of aware datetimes; a conversion each way costs a couple of
    microseconds. The one asked for every meeting depends on the meeting's local date only, so it is
    remembered per date.
    """

    def __init__(self, hours: WorkingHours, clock: Clock) -> None:
        self.hours = hours
        self.first_day = clock.first_day
        self.origin = dt.datetime.combine(clock.first_day, dt.time(), tzinfo=dt.UTC)
        self._previous_day_starts: dict[int, int] = {}

    def _moment(self, minutes: int) -> dt.datetime:
        return self.origin + dt.timedelta(minutes=minutes)

    def _minutes(self, moment: dt.datetime) -> int:
        return int((moment - self.origin).total_seconds()) // 60

    def previous_working_day_start(self, day: int) -> int:
        """`start_of_previous_working_day` of any moment on the owner's local date `day` (a clock day)."""
        start = self._previous_day_starts.get(day)
        if start is None:
            noon = dt.datetime.combine(self.first_day + dt.timedelta(days=day), dt.time(12), self.hours.zone)
            start = self._minutes(start_of_previous_working_day(noon, self.hours))
            self._previous_day_starts[day] = start
        return start

    def add(self, start: int, minutes: int) -> int:
        """`add_working_time`: the moment when `minutes` of the owner's working time have passed."""
        moment = add_working_time(self._moment(start), dt.timedelta(minutes=minutes), self.hours)
        return self._minutes(moment)

    def trial_follow_ups(self, starts: int, ends: int) -> tuple[int, int]:
        """When a trial's check-in and decision call are due."""
        start, end = self._moment(starts), self._moment(ends)
        return (
            self._minutes(followups.trial_check_in_due(start, end, hours=self.hours)),
            self._minutes(followups.trial_decision_due(end, hours=self.hours)),
        )


@dataclass
class _Ids:
    deal: int
    stage_change: int
    contact: int
    activity: int


@dataclass
class _Chunk:
    deals: list[Row]
    stage_changes: list[Row]
    contacts: list[Row]
    activities: list[Row]
    next_ids: _Ids
    # (open stage id, won) -> closed deals that entered the stage, counted once however often they did
    stage_outcomes: Counter[tuple[int, bool]]


class _DealFactory:
    """Makes deals with their stage history, contacts and activities, a chunk at a time."""

    def __init__(
        self,
        *,
        clock: Clock,
        team: _SalesTeam,
        directory: _Directory,
        pipeline: _PipelineShape,
        currencies: list[tuple[str, int]],
        seed: int,
    ) -> None:
        self.clock = clock
        self.team = team
        self.directory = directory
        self.pipeline = pipeline
        self.currencies = currencies
        self.seed = seed
        self.deal_spec = table_spec(Deal, _DEAL_FIELDS)
        self.stage_change_spec = table_spec(StageChange, _STAGE_CHANGE_FIELDS)
        self.contact_spec = table_spec(DealContact, _CONTACT_FIELDS)
        self.activity_spec = table_spec(Activity, _ACTIVITY_FIELDS)

        setup = random.Random(f"salespipe-demo:{seed}:paths")
        open_count = len(pipeline.open_stage_ids)
        self.paths = [_path_variants(top, pipeline.gate, setup) for top in range(open_count)]
        self.phases = [self._phase(stage) for stage in range(open_count)]
        # Where each path first enters an evaluation stage (a trial starts there), -1 if it never does.
        self.trial_positions = [
            [
                next(
                    (
                        position
                        for position, stage in enumerate(path.stages)
                        if self.phases[stage] == "evaluate"
                    ),
                    -1,
                )
                for path in variants
            ]
            for variants in self.paths
        ]
        today = WINDOW_DAYS + HISTORY_DAYS
        self.today = today
        # Activities and stage changes happen on working days: a weekend maps back to the Friday before
        # (past work) or on to the Monday after (planned work).
        weekdays = [(clock.first_day + dt.timedelta(days=day)).weekday() for day in range(clock.days)]
        self.previous_workday = [day - max(0, weekday - 4) for day, weekday in enumerate(weekdays)]
        self.next_workday = [
            day + (7 - weekday if weekday >= 5 else 0) for day, weekday in enumerate(weekdays)
        ]
        # Each rep's wheels were drawn for six open stages; scale them to this pipeline's.
        self.rep_wheels = [
            (
                tuple(min(stage * open_count // 6, open_count - 1) for stage in rep.open_stage_wheel),
                tuple(min(stage * open_count // 6, open_count - 1) for stage in rep.lost_stage_wheel),
            )
            for rep in team.reps
        ]
        # Most deals are in the base currency; the rest split over the foreign ones.
        foreign = currencies[1:] or currencies[:1]
        self.currency_wheel = currencies[:1] * 17 + [foreign[index % len(foreign)] for index in range(3)]
        # Reps with the same hours share one, and so what it remembers.
        shared = {rep.hours: _WorkingTime(rep.hours, clock) for rep in team.reps}
        self.working_times = [shared[rep.hours] for rep in team.reps]
        subjects_by_language = {rep.language: _engine_subjects(rep.language) for rep in team.reps}
        self.engine_subjects = [subjects_by_language[rep.language] for rep in team.reps]
        # How long a rep has to answer an information request, in their working minutes.
        self.response_limit = round(float(settings.INFO_REQUEST_RESPONSE_HOURS) * 60)

    def _phase(self, stage: int) -> str:
        last = len(self.pipeline.open_stage_ids) - 1
        if stage == self.pipeline.gate:
            return "appointment"
        if stage == 0:
            return "prospect"
        if stage < self.pipeline.gate:
            return "qualify"
        if stage == last:
            return "propose"
        return "evaluate"

    def first_ids(self) -> _Ids:
        return _Ids(
            deal=next_id(connection, Deal),
            stage_change=next_id(connection, StageChange),
            contact=next_id(connection, DealContact),
            activity=next_id(connection, Activity),
        )

    def chunk(self, *, first_index: int, count: int, total: int, ids: _Ids) -> _Chunk:
        """Deals `first_index` to `first_index + count - 1` of `total`, with ids from `ids` on."""
        rng = random.Random(f"salespipe-demo:{self.seed}:deals:{first_index}")
        rnd = rng.random
        lognormal = rng.lognormvariate
        stamp = self.clock.stamp
        day_text = self.clock.day_texts
        previous_workday = self.previous_workday
        next_workday = self.next_workday
        today = self.today
        now = today * DAY
        window_start = today - WINDOW_DAYS
        open_ids = self.pipeline.open_stage_ids
        won_id, lost_id = self.pipeline.won_stage_id, self.pipeline.lost_stage_id
        pipeline_id = self.pipeline.pipeline_id
        last_open = len(open_ids) - 1
        paths, phases, trial_positions = self.paths, self.phases, self.trial_positions
        reps, rep_wheels = self.team.reps, self.rep_wheels
        rep_count = len(reps)
        situations = [rep.situation for rep in reps]
        directory = self.directory
        organization_ids, organization_names = directory.organization_ids, directory.organization_names
        organization_search_names = directory.organization_search_names
        first_person_ids, person_counts = directory.first_person_ids, directory.person_counts
        accounts_per_rep, organization_count = directory.accounts_per_rep, directory.organizations
        currency_wheel = self.currency_wheel
        products, subjects = names.PRODUCTS, names.ACTIVITY_SUBJECTS
        folded_products = [fold(product) for product in products]

        deal_rows: list[Row] = []
        change_rows: list[Row] = []
        # (top stage, path variant, won) of the closed deals, for the stage outcomes at the end.
        closed_paths: Counter[tuple[int, int, bool]] = Counter()
        contact_rows: list[Row] = []
        activity_rows: list[Row] = []
        append_activity = activity_rows.append
        next_ids = _Ids(ids.deal, ids.stage_change, ids.contact, ids.activity)
        never = 1 << 40
        working_times, engine_subjects_of = self.working_times, self.engine_subjects
        meeting_gate, response_limit = self.pipeline.meeting_gate, self.response_limit
        follow_up_subjects = names.FOLLOW_UP_SUBJECTS

        # The deal being made; `log` and the helpers below read these.
        deal_id = owner = person_id = organization_id = 0
        last_done, next_planned = -1, never
        rep = reps[0]
        hours = working_times[0]
        engine_subjects = engine_subjects_of[0]
        offsets, work_start, work_length = rep.utc_offsets, rep.workday_start, rep.workday_length
        closed, won, end = False, False, 0
        confirmed_at = never  # when the deal's decision maker was confirmed
        prompt_open = False  # the engine's prompt for a next step is still waiting
        looked_after = False  # a big open deal its rep looks after (see _BIG_DEAL_VALUE)
        # An open deal long past its sales cycle is stuck: the next step after its stage's appointment
        # was never agreed, and the engine's prompt still waits.
        stuck = False

        def log(
            kind: str,
            subject: str,
            due: int,
            *,
            done: int | None = None,
            cancelled: int | None = None,
            outcome: str = "",
            scheduled: int,
            duration: int | None = None,
            ends: int | None = None,
            parent: int | None = None,
            note: str = "",
            purpose: str = "",
            received: int | None = None,
            response: int | None = None,
        ) -> int:
            """Append one activity row; keeps the deal's last done and next planned times up to date."""
            nonlocal last_done, next_planned
            activity_id = next_ids.activity
            next_ids.activity += 1
            if done is not None:
                done = min(done, now)  # a late-evening meeting yesterday ends by the demo's present at most
                last_done = max(last_done, done)
            elif cancelled is None and purpose != _NEXT_STEP:
                # A prompt to agree a next step is not one (deal_refresh_activity_marks).
                next_planned = min(next_planned, due)
            # The worker has handled every engine task that fell due before now (it would otherwise act
            # on years of history at its first run); one done or cancelled before it fell due left the
            # worker's queue then, as the services mark it.
            notified: int | None = None
            if purpose:
                settled = done if cancelled is None else cancelled
                if settled is not None:
                    notified = min(due, settled)
                elif due < now:
                    notified = due
            due_text = stamp(due)
            append_activity(
                (
                    activity_id,
                    kind,
                    subject,
                    note,
                    owner,
                    deal_id,
                    person_id,
                    organization_id,
                    parent,
                    due_text,
                    duration,
                    None if ends is None else stamp(ends),
                    None if done is None else stamp(done),
                    None if cancelled is None else stamp(cancelled),
                    outcome,
                    purpose,
                    None if received is None else stamp(received),
                    response,
                    None if notified is None else due_text if notified == due else stamp(notified),
                    owner,
                    stamp(scheduled),
                )
            )
            return activity_id

        def pick(pool: Sequence[str]) -> str:
            return pool[int(rnd() * len(pool))]

        def working_minute(day: int, leaving: int = 0) -> int:
            """A moment in the owner's working hours on clock day `day` (their local date), with at least
            `leaving` minutes of the day after it."""
            return day * DAY + work_start + int(rnd() * (work_length - leaving)) - offsets[day]

        def meeting_allowed(stage: int, at: int) -> bool:
            """The meeting gate: a confirmed decision maker by then, unless the stage does not ask."""
            return confirmed_at <= at or not meeting_gate[stage]

        def book_meeting(
            subject: str,
            due: int,
            day: int,
            scheduled: int,
            *,
            done: int | None = None,
            outcome: str = "",
            cancelled: int | None = None,
        ) -> int:
            """A meeting on clock day `day`, with the call and the email activity_schedule plans before it:
            due at the start of the owner's previous working day (at once if that has passed), done
            before the meeting, or cancelled with it."""
            meeting = log(
                _MEETING,
                subject,
                due,
                done=done,
                outcome=outcome,
                cancelled=cancelled,
                scheduled=scheduled,
                duration=60,
            )
            ahead = done is None and cancelled is None and due > now
            remind = max(hours.previous_working_day_start(day), now if ahead else scheduled)
            for purpose, kind in _MEETING_REMINDERS:
                reminder = (engine_subjects[purpose] % {"subject": subject})[:200]
                if ahead:
                    log(kind, reminder, remind, scheduled=scheduled, parent=meeting, purpose=purpose)
                elif cancelled is not None and remind >= cancelled:
                    log(
                        kind,
                        reminder,
                        remind,
                        cancelled=cancelled,
                        scheduled=scheduled,
                        parent=meeting,
                        purpose=purpose,
                    )
                else:
                    log(
                        kind,
                        reminder,
                        remind,
                        done=min(remind + 5 + int(rnd() * 25), due if cancelled is None else cancelled),
                        outcome=pick(_CALL_OUTCOMES) if kind == _CALL else _OUTCOME_DONE,
                        scheduled=scheduled,
                        parent=meeting,
                        purpose=purpose,
                    )
            return meeting

        def plan_follow_up(kind: str, subject: str, due: int, scheduled: int) -> None:
            """An activity planned at `scheduled`: done by now, still planned, or called off when the deal
            closed before it was due."""
            duration = _KIND_DETAILS[kind][1]
            if closed and due > end:
                log(kind, subject, due, cancelled=end, scheduled=scheduled, duration=duration)
            elif closed or due + (duration or 0) < now:
                done = due + (duration or 0)
                outcome = pick(_KIND_DETAILS[kind][0])
                log(kind, subject, due, done=done, outcome=outcome, scheduled=scheduled, duration=duration)
            else:
                log(kind, subject, due, scheduled=scheduled, duration=duration)

        def after_held(meeting: int, subject: str, held: int, day: int) -> None:
            """After an appointment held on clock day `day` of a deal still open: mostly an email or a call
            the rep planned for the next working day, well within the 2 working days the engine allows;
            otherwise the engine's prompt to agree a next step, due at once and settled when the rep
            scheduled one a few days later (or still waiting)."""
            nonlocal prompt_open
            if stuck and held >= stage_entered:
                prompt = (engine_subjects[_NEXT_STEP] % {"subject": subject})[:200]
                log(_TASK, prompt, held, scheduled=held, parent=meeting, purpose=_NEXT_STEP)
                prompt_open = True
                return
            if looked_after or rnd() >= _NEXT_STEP_PROMPT_SHARE:
                kind = _EMAIL if rnd() < 0.6 else _CALL
                follow_up = working_minute(next_workday[day + 1], 15)
                plan_follow_up(kind, pick(follow_up_subjects[kind]), follow_up, held)
                return
            prompt = (engine_subjects[_NEXT_STEP] % {"subject": subject})[:200]
            settle_day = next_workday[day + 2 + int(rnd() * 3)]
            settled = working_minute(settle_day)
            if settled < now and (not closed or settled < end):
                log(
                    _TASK,
                    prompt,
                    held,
                    done=settled,
                    outcome=_OUTCOME_DONE,
                    scheduled=held,
                    parent=meeting,
                    purpose=_NEXT_STEP,
                )
                follow_up = working_minute(next_workday[settle_day + 1], 15)
                plan_follow_up(_CALL, pick(follow_up_subjects[_CALL]), follow_up, settled)
            elif closed:
                log(_TASK, prompt, held, cancelled=end, scheduled=held, parent=meeting, purpose=_NEXT_STEP)
            else:
                log(_TASK, prompt, held, scheduled=held, parent=meeting, purpose=_NEXT_STEP)
                prompt_open = True

        def hold_meeting(stage: int, start: int, day: int) -> None:
            """An appointment while the deal sat in open stage `stage` (entered at `start`): booked on
            entering it, at least an hour ahead, in working hours, then held (mostly) or called off."""
            due = working_minute(day, 60)
            while due <= start + 60:
                day = next_workday[day + 1]
                due = working_minute(day, 60)
            if due + 60 >= now or not meeting_allowed(stage, start):
                return
            subject = pick(subjects[_MEETING])
            if rnd() < 0.05:
                # Called off after it was booked, up to two days ahead.
                cancelled = due - 1 - int(rnd() * min(2 * DAY, due - start - 1))
                book_meeting(subject, due, day, start, cancelled=cancelled)
                return
            outcome = pick(_MEETING_OUTCOMES)
            held = due + 60
            meeting = book_meeting(subject, due, day, start, done=held, outcome=outcome)
            if outcome == _OUTCOME_HELD and (not closed or held < end):
                after_held(meeting, subject, held, day)

        def plan_meeting(scheduled: int) -> None:
            """An appointment booked at `scheduled` for later today or one of the next two weeks."""
            day = next_workday[today + int(rnd() * 11)]
            due = working_minute(day, 60)
            while due <= now + 60:
                day = next_workday[day + 1]
                due = working_minute(day, 60)
            book_meeting(pick(subjects[_MEETING]), due, day, scheduled)

        def run_trial(subject: str, days: int, start: int, moved_on: bool) -> None:
            """A trial of `days` from soon after the deal entered its stage at `start`, with the engine's
            check-in halfway and decision call at its end. It was decided at that call, or when the deal
            closed first; a trial still running (or waiting for its decision) is planned."""
            due = start + 30 + int(rnd() * 150)
            ends = due + days * DAY
            check_in, decision = hours.trial_follow_ups(due, ends)
            decided = decision + 15
            if not closed and decided >= now:
                trial_id = log(_TRIAL, subject, due, scheduled=start, ends=ends)
                stop = never
            else:
                stop = decided if not closed or decided <= end else max(end, due)
                if closed:
                    outcome = _OUTCOME_CONVERTED if won else _OUTCOME_NOT_CONVERTED
                else:
                    outcome = _OUTCOME_CONVERTED if moved_on or rnd() < 0.5 else _OUTCOME_NOT_CONVERTED
                trial_id = log(_TRIAL, subject, due, done=stop, outcome=outcome, scheduled=start, ends=ends)
            for purpose, at in ((_TRIAL_CHECK_IN, check_in), (_TRIAL_DECISION, decision)):
                task = (engine_subjects[purpose] % {"subject": subject})[:200]
                if at + 15 <= min(stop, now - 1):
                    log(
                        _CALL,
                        task,
                        at,
                        done=at + 15,
                        outcome=_OUTCOME_CONNECTED,
                        scheduled=start,
                        parent=trial_id,
                        purpose=purpose,
                    )
                elif stop == never:
                    log(_CALL, task, at, scheduled=start, parent=trial_id, purpose=purpose)
                else:  # decided first: completing a trial cancels what prepared for its decision
                    log(_CALL, task, at, cancelled=stop, scheduled=start, parent=trial_id, purpose=purpose)

        def log_request(subject: str, received: int, *, answered: bool = True) -> None:
            """A prospect's information request, due within the response time in the owner's working hours.
            Answered after a while typical of the rep (often in time, now and then late), unless
            `answered` is false or the answer is still to come."""
            deadline = hours.add(received, response_limit)
            if answered:
                taken = 1 + min(int(rep.response_minutes * lognormal(0, 0.8)), 5 * work_length)
                reply = hours.add(received, taken)
                if reply < now:
                    log(
                        _INFO_REQUEST,
                        subject,
                        deadline,
                        done=reply,
                        outcome=_OUTCOME_ANSWERED,
                        scheduled=received,
                        received=received,
                        response=taken,
                    )
                    return
            if closed:  # and the request was still open
                cancelled = max(end, received)
                log(
                    _INFO_REQUEST,
                    subject,
                    deadline,
                    cancelled=cancelled,
                    scheduled=received,
                    received=received,
                )
            else:
                log(_INFO_REQUEST, subject, deadline, scheduled=received, received=received)

        for index in range(first_index, first_index + count):
            deal_id = next_ids.deal
            next_ids.deal += 1
            last_done, next_planned = -1, never

            # Owner and account: most deals come from the rep's own accounts.
            rep_index = int(rnd() * rep_count)
            rep = reps[rep_index]
            owner = rep.user_id
            offsets, work_start, work_length = rep.utc_offsets, rep.workday_start, rep.workday_length
            hours, engine_subjects = working_times[rep_index], engine_subjects_of[rep_index]
            confirmed_at, prompt_open = never, False
            accounts = accounts_per_rep[rep_index]
            if accounts and rnd() < 0.95:
                organization = rep_index + rep_count * int(rnd() * accounts)
            else:
                organization = int(rnd() * organization_count)
            organization_id = organization_ids[organization]
            first_person, people = first_person_ids[organization], person_counts[organization]
            person_id = first_person if rnd() < 0.5 else first_person + int(rnd() * people)

            # Creation, spread evenly over the window in id order, at a working hour of the owner; then
            # the outcome: deals older than their sales cycle are mostly closed.
            created_day = previous_workday[window_start + int((index + rnd()) * WINDOW_DAYS / total)]
            created = created_day * DAY + work_start + int(rnd() * work_length) - offsets[created_day]
            age = today - created_day
            cycle_days = int(lognormal(3.4, 0.75)) + 2
            situation = situations[rep_index]
            closed = cycle_days < age and rnd() > (_STALLED_STUCK_SHARE if situation == STALLED else 0.06)
            won = closed and rnd() < rep.win_rate
            # Values skewed: many small, a few big.
            value = max(100, min(int(lognormal(8.7, 1.15)), 5_000_000)) // 10 * 10
            neglected = not closed and value >= _BIG_DEAL_VALUE and situation == NEGLECTED_BIG_DEALS
            looked_after = not closed and value >= _BIG_DEAL_VALUE and not neglected
            stuck = not closed and cycle_days < age and not looked_after
            stalled = not closed and situation == STALLED
            if won:
                top = last_open
            elif closed:
                top = _draw(rep_wheels[rep_index][1], rnd)
            else:
                # Young deals have not had the time to go far.
                top = min(_draw(rep_wheels[rep_index][0], rnd), 1 + age // 5)
            if closed:
                end_day = previous_workday[created_day + cycle_days]
            else:
                # An open deal entered its stage some days ago (neglected ones weeks ago).
                stay = int(rng.expovariate(1 / (_STALLED_STAY_DAYS if stalled else _OPEN_STAY_DAYS)))
                stay += _NEGLECTED_DAYS if neglected else 0
                end_day = max(created_day, previous_workday[today - 1 - min(age, stay)])
            end = end_day * DAY + work_start + int(rnd() * work_length) - offsets[end_day]
            end = min(max(end, created + 60), now - 1)
            lost_reason = pick(_LOST_REASON_WHEEL) if closed and not won else ""
            variant = int(rnd() * _PATH_VARIANTS)
            path, trial_position = paths[top][variant], trial_positions[top][variant]
            walked = path.stages
            if closed:
                closed_paths[top, variant, won] += 1
            trial = None
            if trial_position >= 0 and not (stalled or neglected):
                chance = _TRIAL_CHANCE_WON if won else _TRIAL_CHANCE_LOST if closed else _TRIAL_CHANCE_OPEN
                if rnd() < chance:
                    trial = names.TRIALS[int(rnd() * len(names.TRIALS))]

            # Stage history: the first entry at creation, the moves spread over the deal's life in
            # order, the last one (the close, for a closed deal) at `end`.
            moves = len(walked) - 1 + closed
            times = [created]
            previous = created
            for move in range(1, moves):
                day = previous_workday[
                    created_day + int((end_day - created_day) * (move - 1 + rnd()) / moves)
                ]
                at = day * DAY + work_start + int(rnd() * work_length) - offsets[day]
                previous = min(max(at, previous + 1), end - (moves - move))
                times.append(previous)
            if moves:
                times.append(end)
            if trial is not None and closed:
                # The deal entered the trial stage early enough for the trial to be decided at its
                # decision call before the close, if its life was long enough for that.
                latest_day = previous_workday[end_day - trial[1] - _TRIAL_DECISION_SLACK_DAYS]
                latest = latest_day * DAY + work_start + int(rnd() * work_length) - offsets[latest_day]
                if created + trial_position < latest < times[trial_position]:
                    times[trial_position] = latest
                    for position in range(trial_position - 1, 0, -1):
                        times[position] = min(times[position], times[position + 1] - 1)
            change_id = next_ids.stage_change
            change_rows.append(
                (change_id, deal_id, None, open_ids[0], _STATUS_OPEN, owner, stamp(created), "")
            )
            for position in range(1, len(walked)):
                change_id += 1
                change_rows.append(
                    (
                        change_id,
                        deal_id,
                        open_ids[walked[position - 1]],
                        open_ids[walked[position]],
                        _STATUS_OPEN,
                        owner,
                        stamp(times[position]),
                        path.notes[position],
                    )
                )
            if closed:
                change_id += 1
                status = _STATUS_WON if won else _STATUS_LOST
                stage_id = won_id if won else lost_id
                change_rows.append(
                    (change_id, deal_id, open_ids[walked[-1]], stage_id, status, owner, stamp(end), "")
                )
            else:
                status, stage_id = _STATUS_OPEN, open_ids[walked[-1]]
            next_ids.stage_change = change_id + 1
            stage_entered = times[-1]

            # Contacts. A deal that reached the gated stage, or was won, had its buyer's authority
            # confirmed before it entered that stage; some deals still qualifying have one confirmed
            # already (and may book an appointment); earlier deals often have none, or unconfirmed. A
            # wrong-buyer rep withdrew the confirmation on some open deals since: it leaves the contact
            # and its note, and the rep noted why.
            contact_id = next_ids.contact
            created_text = stamp(created)
            withdrawn = never
            if (
                path.gate_position >= 0
                or won
                or (not closed and phases[walked[-1]] == "qualify" and rnd() < 0.3)
            ):
                if path.gate_position >= 0:
                    confirmed_at = max(created, times[path.gate_position] - int(rnd() * 2 * DAY))
                elif won:
                    confirmed_at = max(created, end - int(rnd() * 2 * DAY))
                else:
                    confirmed_at = created + int(rnd() * (stage_entered - created))
                buyer, role = first_person, _ROLE_DECISION_MAKER
                if people > 1 and rnd() < 0.2:
                    buyer, role = first_person + 1, _ROLE_ECONOMIC_BUYER
                authority_note = pick(names.AUTHORITY_NOTES) if rnd() < 0.3 else ""
                if (
                    situation == WRONG_BUYER
                    and not closed
                    and path.gate_position >= 0
                    and rnd() < _WITHDRAWN_SHARE
                ):
                    day = previous_workday[today - 1 - int(rnd() * 10)]
                    withdrawn = max(stage_entered + 1, working_minute(day))
                    authority: tuple[str | None, int | None, str, str] = (
                        None,
                        None,
                        "",
                        authority_note or pick(names.AUTHORITY_NOTES),
                    )
                else:
                    authority = (stamp(confirmed_at), owner, pick(_CONFIRMATION_WHEEL), authority_note)
                contact_rows.append((contact_id, deal_id, buyer, role, *authority, created_text))
                contact_id += 1
            elif rnd() < 0.45:
                contact_rows.append(
                    (
                        contact_id,
                        deal_id,
                        first_person,
                        _ROLE_DECISION_MAKER,
                        None,
                        None,
                        "",
                        "",
                        created_text,
                    )
                )
                contact_id += 1
            if people > 1 and rnd() < 0.45:
                role = _ROLE_CHAMPION if rnd() < 0.6 else _ROLE_INFLUENCER
                contact_rows.append(
                    (contact_id, deal_id, first_person + 1, role, None, None, "", "", created_text)
                )
                contact_id += 1
            if people > 2 and rnd() < 0.35:
                role = _ROLE_USER if rnd() < 0.6 else _ROLE_GATEKEEPER
                contact_rows.append(
                    (contact_id, deal_id, first_person + 2, role, None, None, "", "", created_text)
                )
                contact_id += 1
            next_ids.contact = contact_id

            # Activities done while the deal sat in each stage (and right after it closed).
            if closed:
                phase_activities = _PHASE_ACTIVITIES_WON if won else _PHASE_ACTIVITIES_LOST
            else:
                phase_activities = _PHASE_ACTIVITIES_STALLED if stalled else _PHASE_ACTIVITIES
            for position in range(len(walked) + closed):
                if position < len(walked):
                    stage = walked[position]
                    phase = phases[stage]
                    start = times[position]
                    # An open deal's current stage: work went on for a while, then perhaps stopped.
                    stop = (
                        times[position + 1]
                        if position + 1 < len(times)
                        else min(now - 1, start + int(rnd() * 21) * DAY)
                    )
                    if neglected:
                        stop = max(start, min(stop, now - _NEGLECTED_DAYS * DAY))
                else:
                    stage = -1
                    phase = "won" if won else "lost"
                    start, stop = end, min(now - 1, end + 2 * DAY)
                if position == trial_position and trial is not None:
                    run_trial(*trial, start, moved_on=position + 1 < len(walked))
                for kind, chance in phase_activities[phase]:
                    if rnd() >= chance:
                        continue
                    day = previous_workday[(start + int((stop - start) * rnd())) // DAY]
                    if kind == _MEETING:
                        hold_meeting(stage, start, day)
                        continue
                    due = max(created + 5, day * DAY + work_start + int(rnd() * work_length) - offsets[day])
                    scheduled = min(start, due)
                    subject = pick(subjects[kind])
                    outcomes, duration = _KIND_DETAILS[kind]
                    if kind == _INFO_REQUEST:
                        log_request(subject, due)
                    elif kind == _NOTE:
                        note = f"Lost: {lost_reason}" if phase == "lost" else ""
                        log(kind, subject, due, done=due, outcome=_OUTCOME_DONE, scheduled=due, note=note)
                    elif duration is not None and kind != _CALL and rnd() < 0.05:
                        # Called off a day or two ahead; cancelling records no outcome, as in the app.
                        cancelled = max(scheduled, due - int(rnd() * 2 * DAY))
                        log(
                            kind,
                            subject,
                            due,
                            cancelled=cancelled,
                            scheduled=scheduled,
                            duration=duration,
                        )
                    else:
                        done = due + (duration or 0)
                        log(
                            kind,
                            subject,
                            due,
                            done=done,
                            outcome=pick(outcomes),
                            scheduled=scheduled,
                            duration=duration,
                        )

            if withdrawn != never:
                why = pick(names.AUTHORITY_WITHDRAWN)
                log(_NOTE, why, withdrawn, done=withdrawn, outcome=_OUTCOME_DONE, scheduled=withdrawn)
            if looked_after and last_done < now - 3 * DAY:
                # A big deal: the rep checked in with the buyer in the last few working days.
                day = previous_workday[today - 1 - int(rnd() * 3)]
                due = max(stage_entered + 1, working_minute(day, 15))
                log(
                    _CALL,
                    pick(subjects[_CALL]),
                    due,
                    done=due + 15,
                    outcome=pick(_CALL_OUTCOMES),
                    scheduled=min(stage_entered, due),
                    duration=15,
                )

            # The next step of an open deal: most have one, a few are overdue, some have none at all;
            # one waiting for the engine's prompt to be answered has none yet, nor has a neglected big
            # deal. Some reps leave a recent information request unanswered (the slow ones more often).
            # A rep starved of appointments books none.
            if not closed:
                stage = walked[-1]
                phase = phases[stage]
                if phase in ("prospect", "qualify") and rnd() < 0.05 + rep.response_minutes / 1000:
                    day = previous_workday[today - 1 - int(rnd() * 3)]
                    received = max(stage_entered + 1, working_minute(day))
                    log_request(pick(subjects[_INFO_REQUEST]), received, answered=False)
                books_appointments = situation != STARVED
                next_step_kinds = (
                    _NEXT_STEP_KINDS if books_appointments else _NEXT_STEP_KINDS_WITHOUT_APPOINTMENTS
                )
                # A deal whose engine prompt waits for an answer has no next step planned yet.
                if not (prompt_open or neglected):
                    if (
                        phase == "appointment"
                        and books_appointments
                        and meeting_allowed(stage, stage_entered)
                        and rnd() < 0.9
                    ):
                        plan_meeting(stage_entered)
                    elif looked_after or rnd() < 0.85:
                        for _ in range(2 if rnd() < 0.2 else 1):
                            kind = pick(next_step_kinds[phase])
                            if kind == _MEETING and meeting_allowed(stage, stage_entered):
                                plan_meeting(stage_entered)
                                continue
                            if kind == _MEETING:
                                kind = _CALL  # to get to the decision maker first
                            if not looked_after and rnd() < 0.12:
                                day = previous_workday[today - 1 - int(rnd() * 10)]
                            else:
                                day = next_workday[today + int(rng.expovariate(1 / 4))]
                            due = max(
                                stage_entered + 1,
                                day * DAY + work_start + int(rnd() * work_length) - offsets[day],
                            )
                            log(
                                kind,
                                pick(subjects[kind]),
                                due,
                                scheduled=stage_entered,
                                duration=_KIND_DETAILS[kind][1],
                            )

            # The deal itself, mostly in the base currency.
            currency, rate = currency_wheel[int(rnd() * len(currency_wheel))]
            value_text = f"{value}.00"
            if rate == _UNIT_RATE:
                base_value_text = value_text
            else:
                cents = (
                    value * 100 * rate + _UNIT_RATE // 2
                ) // _UNIT_RATE  # rounds half up, as to_base does
                base_value_text = f"{cents // 100}.{cents % 100:02d}"
            # A manual win probability on a few deals; closed deals keep the one set while they were open.
            probability = 5 * (2 + int(rnd() * 17)) if rnd() < 0.04 else None
            if closed:
                close_day = end_day
            elif not looked_after and rnd() < 0.12:
                close_day = today - 1 - int(rnd() * 30)  # overdue: the rep has not updated it
            elif situation == FAMINE:
                close_day = today + _FAMINE_CLOSE_DAYS + int(rnd() * 90)
            else:
                close_day = today + int(rnd() * _CLOSE_DAYS_AHEAD)
            budget_text, evidence = None, ""
            if (top >= 2 and rnd() < 0.55) or rnd() < 0.1:
                budget_text = f"{int(value * (0.8 + 0.7 * rnd())) // 100 * 100}.00"
                evidence = pick(names.BUDGET_EVIDENCE) if rnd() < 0.7 else ""
            decision = day_text[close_day - int(rnd() * 10)] if rnd() < 0.45 else None
            product = int(rnd() * len(products))
            end_text = stamp(end)
            stage_entered_text = stamp(stage_entered)
            deal_rows.append(
                (
                    deal_id,
                    f"{products[product]} - {organization_names[organization]}",
                    # fold() of the title, put together from folded parts: folding works letter by letter.
                    f"{folded_products[product]} - {organization_search_names[organization]}"[:200],
                    organization_id,
                    person_id,
                    owner,
                    pipeline_id,
                    stage_id,
                    status,
                    value_text,
                    currency,
                    base_value_text,
                    day_text[close_day],
                    probability,
                    pick(_SOURCE_WHEEL),
                    budget_text,
                    evidence,
                    decision,
                    pick(_URGENCY_WHEEL),
                    lost_reason,
                    end_text if won else None,
                    end_text if closed and not won else None,
                    stage_entered_text,
                    None if last_done < 0 else stamp(last_done),
                    None if next_planned == never else stamp(next_planned),
                    1,
                    owner,
                    created_text,
                    stage_entered_text,
                )
            )

        # A closed deal's history enters each stage of its path (the first at creation), then a closed one.
        stage_outcomes: Counter[tuple[int, bool]] = Counter()
        for (path_top, path_variant, path_won), closed_deals in closed_paths.items():
            for stage in set(paths[path_top][path_variant].stages):
                stage_outcomes[open_ids[stage], path_won] += closed_deals
        return _Chunk(
            deals=deal_rows,
            stage_changes=change_rows,
            contacts=contact_rows,
            activities=activity_rows,
            next_ids=next_ids,
            stage_outcomes=stage_outcomes,
        )


def deal_chunks(factory: _DealFactory, *, deals: int, chunk_deals: int, background: bool) -> Iterator[_Chunk]:
    """The deals in chunks of `chunk_deals`, in order, made here or in a forked worker process.

    Both ways give the same rows: each chunk has its own random generator, seeded from the seed and
    the chunk's position. The worker hands chunks over a queue of two, which keeps memory steady
    however many deals there are.
    """
    ids = factory.first_ids()
    if not background:
        for chunk_start in range(0, deals, chunk_deals):
            chunk = factory.chunk(
                first_index=chunk_start, count=min(chunk_deals, deals - chunk_start), total=deals, ids=ids
            )
            ids = chunk.next_ids
            yield chunk
        return

    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[_Chunk | str] = context.Queue(maxsize=2)
    worker = context.Process(
        target=_make_chunks,
        args=(factory, deals, chunk_deals, ids, queue),
        name="salespipe-demo",
        daemon=True,
    )
    worker.start()
    try:
        for _ in range(0, deals, chunk_deals):
            item = queue.get()
            if isinstance(item, str):
                raise RuntimeError(f"The demo data worker failed:\n{item}")
            yield item
    finally:
        if worker.is_alive():
            worker.terminate()
        worker.join()
        queue.close()


def _make_chunks(
    factory: _DealFactory, deals: int, chunk_deals: int, ids: _Ids, queue: multiprocessing.Queue[_Chunk | str]
) -> None:
    """Worker process body: never touches the database connection it inherited, only the queue."""
    try:
        for chunk_start in range(0, deals, chunk_deals):
            chunk = factory.chunk(
                first_index=chunk_start, count=min(chunk_deals, deals - chunk_start), total=deals, ids=ids
            )
            ids = chunk.next_ids
            queue.put(chunk)
    except Exception:  # the parent re-raises it; a traceback is the only thing that pickles for sure
        queue.put(traceback.format_exc())
    queue.close()
    queue.join_thread()


def _draw(wheel: Sequence[int], rnd: Callable[[], float]) -> int:
    """One entry of a wheel: a tuple holding each value as often as its weight."""
    return wheel[int(rnd() * len(wheel))]


__all__ = ["DemoSummary", "demo_generate"]
