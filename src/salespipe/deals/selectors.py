"""Reads of deals, always scoped by the acting user (rep: own; manager: their teams; admin: all)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Count,
    DateField,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce, RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from salespipe.core.errors import NotFound
from salespipe.core.text import fold
from salespipe.deals.models import (
    BUYING_AUTHORITY_ROLES,
    Deal,
    DealContact,
    DealStatus,
    Pipeline,
    Stage,
    StageChange,
    StageKind,
)
from salespipe.people.models import Role, User
from salespipe.people.selectors import owner_scope, visible_user_ids


def deal_list(
    *,
    actor: User,
    pipeline_id: int | None = None,
    stage_id: int | None = None,
    status: str | None = None,
    owner_id: int | None = None,
    team_id: int | None = None,
    organization_id: int | None = None,
    person_id: int | None = None,
    search: str = "",
    expected_close_from: dt.date | None = None,
    expected_close_to: dt.date | None = None,
) -> QuerySet[Deal]:
    deals = Deal.objects.filter(owner_scope(actor)).select_related("organization", "person", "owner", "stage")
    filters = {
        "pipeline_id": pipeline_id,
        "stage_id": stage_id,
        "status": status,
        "owner_id": owner_id,
        "owner__team_id": team_id,
        "organization_id": organization_id,
        "person_id": person_id,
        "expected_close_date__gte": expected_close_from,
        "expected_close_date__lte": expected_close_to,
    }
    deals = deals.filter(**{key: value for key, value in filters.items() if value is not None})
    if search.strip():
        folded = fold(search)
        deals = deals.filter(Q(search_title__contains=folded) | Q(organization__search_name__contains=folded))
    return deals.order_by("-id")


def deal_get(*, actor: User, deal_id: int) -> Deal:
    deal = (
        Deal.objects.filter(owner_scope(actor), pk=deal_id)
        .select_related("organization", "person", "owner", "stage", "pipeline")
        .first()
    )
    if deal is None:
        raise NotFound(_("There is no deal with id %(id)s, or you may not see it.") % {"id": deal_id})
    return deal


def deal_contact_list(*, actor: User, deal_id: int) -> QuerySet[DealContact]:
    deal = deal_get(actor=actor, deal_id=deal_id)
    return deal.contacts.select_related("person", "authority_confirmed_by").order_by("role", "id")


def deal_contact_get(*, actor: User, deal_contact_id: int) -> DealContact:
    contact = (
        DealContact.objects.filter(owner_scope(actor, owner_field="deal__owner"), pk=deal_contact_id)
        .select_related("person", "authority_confirmed_by")
        .first()
    )
    if contact is None:
        raise NotFound(
            _("There is no deal contact with id %(id)s, or you may not see it.") % {"id": deal_contact_id}
        )
    return contact


def deal_stage_history(*, actor: User, deal_id: int) -> QuerySet[StageChange]:
    deal = deal_get(actor=actor, deal_id=deal_id)
    return deal.stage_changes.select_related("from_stage", "to_stage", "changed_by").order_by(
        "-changed_at", "-id"
    )


def pipeline_list(*, actor: User, include_inactive: bool = False) -> QuerySet[Pipeline]:
    """Pipelines and their stages are settings everyone works with; only admins change them."""
    pipelines = Pipeline.objects.prefetch_related(
        Prefetch("stages", queryset=Stage.objects.order_by("position"))
    )
    if not include_inactive:
        pipelines = pipelines.filter(is_active=True)
    return pipelines.order_by("position", "name")


def pipeline_get(*, actor: User, pipeline_id: int) -> Pipeline:
    pipeline = pipeline_list(actor=actor, include_inactive=actor.is_admin).filter(pk=pipeline_id).first()
    if pipeline is None:
        raise NotFound(_("There is no pipeline with id %(id)s.") % {"id": pipeline_id})
    return pipeline


# --- the board ------------------------------------------------------------------------------------------

BOARD_PAGE_SIZE = 20


@dataclass(frozen=True)
class BoardFilters:
    """What narrows the board besides the actor's scope: whose deals, closing when, matching what."""

    owner_id: int | None = None
    team_id: int | None = None
    expected_close_from: dt.date | None = None
    expected_close_to: dt.date | None = None
    search: str = ""


@dataclass(frozen=True)
class BoardColumnTotals:
    """A column header's numbers, in the base currency."""

    count: int = 0
    value: Decimal = Decimal(0)
    weighted_value: Decimal = Decimal(0)


@dataclass(frozen=True)
class BoardCursor:
    """Where a column's page ended: the last card's value and id (keyset paging, no OFFSET)."""

    value: Decimal
    deal_id: int


@dataclass(frozen=True, slots=True)
class CardDeal:
    """What a board card shows of its deal (deals/board_parts.html), read as values: a model object per
    card, with its owner's and organization's, took as long as the query itself (docs/performance.md).
    `owner` is a `User` holding the names only, one per owner however many cards they have."""

    pk: int
    title: str
    value: Decimal
    currency: str
    expected_close_date: dt.date | None
    version: int
    stage_id: int
    stage_entered_at: dt.datetime
    last_activity_at: dt.datetime | None
    next_activity_at: dt.datetime | None
    owner: User
    organization_name: str | None


@dataclass(frozen=True)
class BoardCard:
    """A deal as the board shows it, with the warnings a salesperson acts on."""

    deal: CardDeal
    decision_maker_confirmed: bool
    rotting: bool
    days_without_progress: int
    overdue_activity: bool
    no_next_step: bool

    @property
    def detail_url(self) -> str:
        # A plain path: the deal page lives in its own module and may not be routed yet.
        return f"/deals/{self.deal.pk}/"

    @property
    def cursor(self) -> BoardCursor:
        return BoardCursor(value=self.deal.value, deal_id=self.deal.pk)


@dataclass(frozen=True)
class BoardColumnPage:
    cards: list[BoardCard]
    has_more: bool

    @property
    def cursor(self) -> BoardCursor | None:
        return self.cards[-1].cursor if self.has_more and self.cards else None


def board_stages(*, actor: User) -> list[Stage]:
    """Every stage of every active pipeline, with its pipeline, in board order (one query gives both the
    pipeline picker and the columns)."""
    return list(
        Stage.objects.filter(pipeline__is_active=True)
        .select_related("pipeline")
        .order_by("pipeline__position", "pipeline__name", "pipeline_id", "position")
    )


def board_stage(*, actor: User, stage_id: int) -> Stage:
    """An open stage of an active pipeline, with its pipeline (a column of some board)."""
    stage = (
        Stage.objects.filter(pk=stage_id, kind=StageKind.OPEN, pipeline__is_active=True)
        .select_related("pipeline")
        .first()
    )
    if stage is None:
        raise NotFound(_("There is no open stage with id %(id)s in an active pipeline.") % {"id": stage_id})
    return stage


def board_owner_choices(*, actor: User) -> list[User]:
    """Whose deals the actor may filter the board by: themselves, a manager's team members, or (admin)
    everyone; each with their team, so the team choices come from the same query."""
    return list(
        User.objects.filter(visible_user_ids(actor), is_active=True)
        .select_related("team")
        .order_by("first_name", "last_name", "username")
    )


def _board_owners(*, actor: User, filters: BoardFilters) -> QuerySet[User, Any] | None:
    """Whose deals the board is narrowed to (as a subquery), or None when it spans every owner (an admin
    without an owner or team filter). owner_scope() still applies; this only tells the plan."""
    if filters.owner_id is not None:
        return User.objects.filter(pk=filters.owner_id).values("pk")
    if actor.role == Role.ADMIN and filters.team_id is None:
        return None
    users = User.objects.filter(visible_user_ids(actor))
    if filters.team_id is not None:
        users = users.filter(team_id=filters.team_id)
    return users.values("pk")


def _board_deals(*, actor: User, filters: BoardFilters, close_unindexed: bool = False) -> QuerySet[Deal]:
    """Open deals the actor may see, narrowed by the filters (search folds case and accents).

    `close_unindexed` compares the close dates through a no-op cast, for walking one column's
    (stage, status, -value) index: SQLite keeps no statistics, and offered an index on the close date it
    range-scans every open deal closing in the period and sorts them, once per column (two seconds for
    a quarter at a million deals). PostgreSQL drops the cast and plans with its statistics."""
    deals = deal_list(
        actor=actor,
        status=DealStatus.OPEN,
        owner_id=filters.owner_id,
        team_id=filters.team_id,
        search=filters.search,
        expected_close_from=None if close_unindexed else filters.expected_close_from,
        expected_close_to=None if close_unindexed else filters.expected_close_to,
    )
    if close_unindexed and (filters.expected_close_from or filters.expected_close_to):
        deals = deals.alias(closes_on=Cast("expected_close_date", DateField()))
        if filters.expected_close_from:
            deals = deals.filter(closes_on__gte=filters.expected_close_from)
        if filters.expected_close_to:
            deals = deals.filter(closes_on__lte=filters.expected_close_to)
    return deals


def _weighted_points() -> Sum:
    """A column's weighted value in percent points: base value × win probability (the deal's own, else its
    stage's default). Divided by 100 in `_column_totals`, on a handful of sums rather than on every row, so
    SQLite's integer division cannot truncate it."""
    return Sum(
        F("base_value") * Coalesce("probability", "stage__default_probability"),
        output_field=DecimalField(max_digits=24, decimal_places=2),
    )


def _column_totals(count: int, value: Decimal | None, weighted_points: Decimal | None) -> BoardColumnTotals:
    cent = Decimal("0.01")
    return BoardColumnTotals(
        count=count,
        value=Decimal(value or 0).quantize(cent),
        weighted_value=(Decimal(weighted_points or 0) / 100).quantize(cent, ROUND_HALF_UP),
    )


def board_column_totals(
    *, actor: User, stages: Sequence[Stage], filters: BoardFilters
) -> dict[int, BoardColumnTotals]:
    """Count, value and weighted value of each column, in one GROUP BY query: the headers alone, as a move
    updates them. The board itself has them from `board_columns`.

    Weighted value = base value × win probability (the deal's own, else its stage's default).

    When the board is narrowed to some owners the query names only them, not the pipeline or the
    stages, and other stages' groups are dropped here: offered an equality on the stage or pipeline
    index, SQLite (which keeps no statistics) reads every open deal of the pipeline instead of the few
    owners' (330 ms instead of 15 ms for a team of ten at a million deals)."""
    if not stages:
        return {}
    deals = _board_deals(actor=actor, filters=filters)
    owners = _board_owners(actor=actor, filters=filters)
    if owners is None:
        deals = deals.filter(pipeline_id__in={stage.pipeline_id for stage in stages})
    else:
        deals = deals.filter(owner_id__in=owners)
    rows = (
        deals.order_by()
        .values("stage_id")
        .annotate(count=Count("pk"), value=Sum("base_value"), weighted_points=_weighted_points())
    )
    wanted = {stage.pk for stage in stages}
    return {
        row["stage_id"]: _column_totals(row["count"], row["value"], row["weighted_points"])
        for row in rows
        if row["stage_id"] in wanted
    }


# What a board card shows and warns from (deals/board_parts.html, `_card`): a column's page reads these
# values alone, not the deals' two dozen columns and their people's, stages' and organizations' whole rows.
# First the deal's own (`CardDeal`'s fields of the same names), then what `_cards` reads by position.
_CARD_DEAL_VALUES = (
    "pk",
    "title",
    "value",
    "currency",
    "expected_close_date",
    "version",
    "stage_id",
    "stage_entered_at",
    "last_activity_at",
    "next_activity_at",
)
_CARD_VALUES = (
    *_CARD_DEAL_VALUES,
    "owner_id",
    "owner__username",
    "owner__first_name",
    "owner__last_name",
    "organization__name",
    "stage__rotting_days",
    "decision_maker_confirmed",
)


def _cards(deals: QuerySet[Deal], *, now: dt.datetime) -> list[BoardCard]:
    """The cards of `deals` (ordered and sliced as the caller wants), in one query."""
    confirmed = DealContact.objects.filter(
        deal_id=OuterRef("pk"), role__in=BUYING_AUTHORITY_ROLES, authority_confirmed_at__isnull=False
    )
    rows = deals.annotate(decision_maker_confirmed=Exists(confirmed)).values_list(*_CARD_VALUES)
    owners: dict[int, User] = {}
    cards = []
    own = len(_CARD_DEAL_VALUES)
    for row in rows:
        owner_id, username, first_name, last_name, organization, rotting_days, maker_confirmed = row[own:]
        owner = owners.get(owner_id)
        if owner is None:
            owner = owners[owner_id] = User(
                pk=owner_id, username=username, first_name=first_name, last_name=last_name
            )
        deal = CardDeal(
            **dict(zip(_CARD_DEAL_VALUES, row, strict=False)), owner=owner, organization_name=organization
        )
        cards.append(_card(deal, rotting_days=rotting_days, confirmed=bool(maker_confirmed), now=now))
    return cards


def _card(deal: CardDeal, *, rotting_days: int | None, confirmed: bool, now: dt.datetime) -> BoardCard:
    """The board's warnings for a deal: rotting (no completed activity and no stage change for the stage's
    rotting days), an overdue next activity, no next activity at all, no confirmed decision maker."""
    last_progress = max(deal.stage_entered_at, deal.last_activity_at or deal.stage_entered_at)
    idle_days = max((now - last_progress).days, 0)
    return BoardCard(
        deal=deal,
        decision_maker_confirmed=confirmed,
        rotting=rotting_days is not None and now - last_progress > dt.timedelta(days=rotting_days),
        days_without_progress=idle_days,
        overdue_activity=deal.next_activity_at is not None and deal.next_activity_at < now,
        no_next_step=deal.next_activity_at is None,
    )


def _page(cards: list[BoardCard], *, size: int) -> BoardColumnPage:
    return BoardColumnPage(cards=cards[:size], has_more=len(cards) > size)


@dataclass(frozen=True)
class BoardColumns:
    """What a board shows of its columns, by stage id: every column's first page (empty when the column
    has no deals) and the header numbers of those that have some (a column missing here shows zeros)."""

    totals: dict[int, BoardColumnTotals]
    pages: dict[int, BoardColumnPage]


def board_columns(
    *, actor: User, stages: Sequence[Stage], filters: BoardFilters, size: int = BOARD_PAGE_SIZE
) -> BoardColumns:
    """Every column's header numbers and first page, biggest deals first, in two queries whatever the
    number of columns.

    Which queries depends on how many deals the board spans:

    - narrowed to some owners (a rep, a manager's team, an owner or team filter): their open deals, found
      through the owner index, are ranked per stage with ROW_NUMBER() OVER (PARTITION BY stage ORDER BY
      value DESC, id DESC), and each stage's totals come from the same scan as window aggregates over the
      same partition; then the first size+1 of each stage are read as cards by primary key. Totals and
      ranking as two queries each read every one of those deals, and with a search (a LIKE on each
      deal's title and organization's name) that reading is the whole cost: one scan took a fifth to a
      third off a manager's board search at a million deals (docs/web.md, *Board*).
    - every owner (an admin): a ranking would sort every open deal, so the totals are their own GROUP BY
      (`board_column_totals`) and each column's page its own `ORDER BY value DESC, id DESC LIMIT size+1`
      subquery, which walks the (stage, status, -value) index and stops after size+1 rows, the
      subqueries joined with UNION ALL."""
    stage_ids = [stage.pk for stage in stages]
    if not stage_ids:
        return BoardColumns(totals={}, pages={})
    owners = _board_owners(actor=actor, filters=filters)
    if owners is None:
        return BoardColumns(
            totals=board_column_totals(actor=actor, stages=stages, filters=filters),
            pages=_every_owners_first_pages(actor=actor, stage_ids=stage_ids, filters=filters, size=size),
        )
    column = [F("stage_id")]
    # No stage condition inside: offered one, SQLite would walk the stage index (`board_column_totals`).
    # Other pipelines' columns are dropped below, after the ranking. The totals count every deal of a
    # stage, not its first page: Django filters on `place` in an outer query, over the windows' results.
    ranked = (
        _board_deals(actor=actor, filters=filters)
        .filter(owner_id__in=owners)
        .order_by()
        .annotate(
            place=Window(RowNumber(), partition_by=column, order_by=[F("value").desc(), F("id").desc()]),
            column_count=Window(Count("pk"), partition_by=column),
            column_value=Window(Sum("base_value"), partition_by=column),
            column_weighted_points=Window(_weighted_points(), partition_by=column),
        )
        .filter(place__lte=size + 1)
        .values_list("pk", "stage_id", "column_count", "column_value", "column_weighted_points")
    )
    wanted = set(stage_ids)
    totals: dict[int, BoardColumnTotals] = {}
    first_page_ids = []
    for deal_id, stage_id, count, value, weighted_points in ranked:
        if stage_id not in wanted:
            continue
        first_page_ids.append(deal_id)
        if stage_id not in totals:
            totals[stage_id] = _column_totals(count, value, weighted_points)
    # The ids come from the scoped ranking; the scope and the status are asked again all the same, so
    # that a deal handed to someone else or closed between the two queries is not shown.
    first_pages = Deal.objects.filter(owner_scope(actor), status=DealStatus.OPEN, pk__in=first_page_ids)
    return BoardColumns(totals=totals, pages=_pages(first_pages, stage_ids=stage_ids, size=size))


def _every_owners_first_pages(
    *, actor: User, stage_ids: Sequence[int], filters: BoardFilters, size: int
) -> dict[int, BoardColumnPage]:
    """Every column's first page for a board spanning every owner, in one query: each column its own
    `LIMIT size+1` subquery, joined with UNION ALL. Django only builds sliced compound queries on
    databases that allow them bare (not SQLite), so the UNION ALL is spelled out around the ORM-compiled
    subqueries; the outer query (cards with organization, owner, stage and the decision-maker check) is an
    ordinary ORM query over at most size+1 deals per column."""
    deals = _board_deals(actor=actor, filters=filters, close_unindexed=True).order_by("-value", "-id")
    parts = [
        deals.filter(stage_id=stage_id).values("id")[: size + 1].query.sql_with_params()
        for stage_id in stage_ids
    ]
    # Only ORM-compiled SQL goes into the text; every value stays a bound parameter.
    union = " UNION ALL ".join(
        f"SELECT id FROM ({sql}) AS column_{n}"  # noqa: S608
        for n, (sql, _) in enumerate(parts)
    )
    params = tuple(param for _, part_params in parts for param in part_params)
    first_pages = Deal.objects.filter(pk__in=RawSQL(union, params))  # noqa: S611
    return _pages(first_pages, stage_ids=stage_ids, size=size)


def _pages(first_pages: QuerySet[Deal], *, stage_ids: Sequence[int], size: int) -> dict[int, BoardColumnPage]:
    """The cards of `first_pages` (up to size+1 deals per column) as each column's first page."""
    by_stage: dict[int, list[BoardCard]] = {stage_id: [] for stage_id in stage_ids}
    for card in _cards(first_pages.order_by("-value", "-id"), now=timezone.now()):
        column = by_stage.get(card.deal.stage_id)
        if column is not None:  # else moved off the board's stages between the ranking and this read
            column.append(card)
    return {stage_id: _page(column, size=size) for stage_id, column in by_stage.items()}


def board_column_page(
    *,
    actor: User,
    stage_id: int,
    filters: BoardFilters,
    after: BoardCursor | None = None,
    size: int = BOARD_PAGE_SIZE,
) -> BoardColumnPage:
    """The next cards of one column after a cursor (keyset on value, id: no OFFSET, no COUNT).

    Narrowed to some owners, the query names them, so the planner can start from the owner index (a
    manager's scope alone, a join on their teams, led PostgreSQL to probe the column for each user)."""
    owners = _board_owners(actor=actor, filters=filters)
    deals = _board_deals(actor=actor, filters=filters, close_unindexed=owners is None).filter(
        stage_id=stage_id
    )
    if owners is not None:
        deals = deals.filter(owner_id__in=owners)
    if after is not None:
        # "value <= v" first: a range the (stage, status, -value) index can start from.
        deals = deals.filter(Q(value__lte=after.value), Q(value__lt=after.value) | Q(pk__lt=after.deal_id))
    return _page(_cards(deals.order_by("-value", "-id")[: size + 1], now=timezone.now()), size=size)


def board_card(*, actor: User, deal_id: int) -> BoardCard:
    cards = _cards(Deal.objects.filter(owner_scope(actor), pk=deal_id), now=timezone.now())
    if not cards:
        raise NotFound(_("There is no deal with id %(id)s, or you may not see it.") % {"id": deal_id})
    return cards[0]
