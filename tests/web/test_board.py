"""The pipeline board at /board/: what each role sees, the column numbers, the warnings on cards, filters,
paging per column, and moving cards (htmx and plain forms)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from salespipe.activities.services import activity_record, activity_schedule
from salespipe.deals import selectors
from salespipe.deals.models import Deal, DealStatus, Stage
from salespipe.deals.pipelines import pipeline_create
from salespipe.deals.services import exchange_rate_set
from salespipe.people.models import Team, User
from tests.factories import OrganizationFactory

HTMX = {"HX-Request": "true"}

# Session, user, stages of the active pipelines, and the columns in two queries: narrowed to some owners,
# their deals ranked per stage with each stage's totals, then the first pages' cards; spanning every
# owner (an admin), the totals' GROUP BY, then the first pages.
REP_BOARD_QUERIES = 5
# ... and the people the actor may filter by (their teams come with them).
MANAGER_BOARD_QUERIES = 6
# Session, user, the column's next cards.
LOAD_MORE_QUERIES = 3


def _titles(response: Any) -> list[str]:
    return [card.deal.title for column in response.context["columns"] for card in column.cards]


def _column(response: Any, stage: Stage) -> Any:
    return next(column for column in response.context["columns"] if column.stage.pk == stage.pk)


def _reloaded(deal: Deal) -> Deal:
    return Deal.objects.select_related("stage").get(pk=deal.pk)


# --- access ------------------------------------------------------------------------------------------------


def test_the_home_page_leads_to_the_board(browser_of: Any, rep: User) -> None:
    # when
    response = browser_of(rep).get("/")

    # then
    assert response.status_code == 302
    assert response.url == "/board/"


@pytest.mark.parametrize("path", ["/board/", "/board/stages/1/cards/", "/board/deals/1/move/"])
def test_anonymous_visitors_are_sent_to_sign_in(db: None, path: str) -> None:
    # when
    response = Client().get(path)

    # then
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_a_rep_sees_only_their_own_deals(
    browser_of: Any, rep: User, teammate: User, outsider: User, make_deal: Any
) -> None:
    # given
    make_deal(rep, title="Mine")
    make_deal(teammate, title="Teammate's")
    make_deal(outsider, title="Outsider's")

    # when
    response = browser_of(rep).get("/board/")

    # then
    assert response.status_code == 200
    assert _titles(response) == ["Mine"]
    assert "Teammate&#x27;s" not in response.content.decode()
    assert 'name="owner"' not in response.content.decode()


def test_a_manager_sees_their_team_and_an_admin_sees_everyone(
    browser_of: Any,
    manager: User,
    admin_user: User,
    rep: User,
    teammate: User,
    outsider: User,
    make_deal: Any,
) -> None:
    # given
    make_deal(rep, title="Rep's", value=300)
    make_deal(teammate, title="Teammate's", value=200)
    make_deal(outsider, title="Outsider's", value=100)

    # when
    managers_board = browser_of(manager).get("/board/")
    admins_board = browser_of(admin_user).get("/board/")

    # then
    assert _titles(managers_board) == ["Rep's", "Teammate's"]
    assert _titles(admins_board) == ["Rep's", "Teammate's", "Outsider's"]


# --- columns ------------------------------------------------------------------------------------------------


def test_there_is_one_column_per_open_stage_in_order(
    browser_of: Any, rep: User, stages: dict[str, Stage]
) -> None:
    # when
    response = browser_of(rep).get("/board/")

    # then
    names = [column.stage.name for column in response.context["columns"]]
    assert names == ["Lead", "Contacted", "Qualified", "Appointment", "Demo/Trial", "Proposal"]
    html = response.content.decode()
    assert all(f">{name}</h2>" in html for name in names)


def test_column_headers_count_and_sum_in_the_base_currency_with_weighted_value(
    browser_of: Any, admin_user: User, rep: User, stages: dict[str, Stage], make_deal: Any
) -> None:
    # given: Lead's default probability is 5 %, Contacted's 10 %
    exchange_rate_set(actor=admin_user, currency="USD", rate_to_base="0.9")
    make_deal(rep, title="Plain", value=1000)
    make_deal(rep, title="Sure thing", value=2000, probability=50)
    make_deal(rep, title="Dollars", value=100, currency="USD")
    make_deal(rep, title="Contacted", value=3000, stage_id=stages["Contacted"].pk)
    make_deal(rep, title="Lost one", value=5000)
    lost = Deal.objects.get(title="Lost one")
    browser_of(rep).post(
        f"/board/deals/{lost.pk}/move/", {"to": "lost", "version": 1, "lost_reason": "Price"}
    )

    # when
    response = browser_of(rep).get("/board/")

    # then
    lead = _column(response, stages["Lead"]).totals
    assert (lead.count, lead.value) == (3, Decimal("3090.00"))
    assert lead.weighted_value == Decimal("1054.50")  # 1000 × 5 % + 2000 × 50 % + 90 × 5 %
    contacted = _column(response, stages["Contacted"]).totals
    assert (contacted.count, contacted.value, contacted.weighted_value) == (1, Decimal(3000), Decimal(300))
    empty = _column(response, stages["Proposal"]).totals
    assert (empty.count, empty.value, empty.weighted_value) == (0, 0, 0)
    html = response.content.decode()
    assert "3 deals" in html
    assert "3,090 EUR" in html
    assert "weighted 1,054 EUR" in html or "weighted 1,055 EUR" in html
    assert "4 open deals worth 6,090 EUR" in html


def test_a_searched_team_boards_headers_count_every_matching_deal_beyond_the_first_page(
    browser_of: Any,
    manager: User,
    team: Team,
    rep: User,
    teammate: User,
    stages: dict[str, Stage],
    make_deal: Any,
) -> None:
    # given: more matching deals in Lead than a page shows, one with its own probability (the others take
    # Lead's 5 %), one in Contacted (10 %), and deals the search leaves out
    for n in range(23):
        make_deal(rep if n % 2 else teammate, title=f"Acme order {n}", value=100)
    make_deal(rep, title="Acme renewal", value=1000, probability=50)
    make_deal(teammate, title="Acme pilot", value=Decimal("123.45"), stage_id=stages["Contacted"].pk)
    make_deal(rep, title="Globex order", value=5000)
    make_deal(rep, title="Globex pilot", value=5000, stage_id=stages["Qualified"].pk)

    # when
    response = browser_of(manager).get("/board/", {"team": team.pk, "q": "acme"})

    # then
    lead = _column(response, stages["Lead"])
    assert len(lead.cards) == 20
    assert lead.more_url is not None
    assert (lead.totals.count, lead.totals.value) == (24, Decimal("3300.00"))
    assert lead.totals.weighted_value == Decimal("615.00")  # 23 × 100 × 5 % + 1000 × 50 %
    contacted = _column(response, stages["Contacted"]).totals
    assert (contacted.count, contacted.value) == (1, Decimal("123.45"))
    assert contacted.weighted_value == Decimal("12.35")  # 12.345, rounded half up
    qualified = _column(response, stages["Qualified"]).totals
    assert (qualified.count, qualified.value, qualified.weighted_value) == (0, 0, 0)
    assert response.context["pipeline_totals"].count == 25
    # and the headers a move brings (their own GROUP BY) say the same
    shown = {column.stage.pk: column.totals for column in response.context["columns"] if column.totals.count}
    after_a_move = selectors.board_column_totals(
        actor=manager,
        stages=[column.stage for column in response.context["columns"]],
        filters=selectors.BoardFilters(team_id=team.pk, search="acme"),
    )
    assert after_a_move == shown


def test_deals_outside_the_actors_scope_never_reach_a_narrowed_boards_headers(
    browser_of: Any,
    manager: User,
    rep: User,
    teammate: User,
    outsider: User,
    stages: dict[str, Stage],
    make_deal: Any,
) -> None:
    # given: matching deals in one column, of a rep, of their teammate and of another manager's team
    make_deal(rep, title="Acme order", value=100)
    make_deal(teammate, title="Acme pilot", value=300)
    make_deal(outsider, title="Acme abroad", value=900)

    # when: the rep's and the manager's boards, and the manager's asked outright for the outsider's deals
    reps_board = browser_of(rep).get("/board/", {"q": "acme"})
    managers_board = browser_of(manager).get("/board/", {"q": "acme"})
    board_stages = [column.stage for column in managers_board.context["columns"]]
    by_owner = selectors.board_columns(
        actor=manager,
        stages=board_stages,
        filters=selectors.BoardFilters(owner_id=outsider.pk, search="acme"),
    )
    by_team = selectors.board_columns(
        actor=manager, stages=board_stages, filters=selectors.BoardFilters(team_id=outsider.team_id)
    )

    # then
    reps_lead = _column(reps_board, stages["Lead"])
    assert (reps_lead.totals.count, reps_lead.totals.value) == (1, Decimal("100.00"))
    managers_lead = _column(managers_board, stages["Lead"])
    assert (managers_lead.totals.count, managers_lead.totals.value) == (2, Decimal("400.00"))
    assert managers_board.context["pipeline_totals"].value == Decimal("400.00")
    assert [card.deal.title for card in managers_lead.cards] == ["Acme pilot", "Acme order"]
    for outsiders in (by_owner, by_team):
        assert outsiders.totals == {}
        assert all(not page.cards for page in outsiders.pages.values())


def test_cards_show_the_biggest_deals_first_with_their_facts(
    browser_of: Any, rep: User, make_deal: Any
) -> None:
    # given
    organization = OrganizationFactory(name="Olympus Foods")
    make_deal(rep, title="Small", value=10)
    make_deal(
        rep,
        title="Big",
        value=12500,
        organization_id=organization.pk,
        expected_close_date=dt.date(2027, 3, 15),
    )

    # when
    response = browser_of(rep).get("/board/")

    # then
    assert _titles(response) == ["Big", "Small"]
    html = response.content.decode()
    big = html[html.index('data-title="Big"') : html.index('data-title="Small"')]
    assert "Olympus Foods" in big
    assert "12,500 EUR" in big
    assert 'datetime="2027-03-15"' in big
    assert rep.initials in big
    big_deal = Deal.objects.get(title="Big")
    assert f'href="/deals/{big_deal.pk}/"' in big


def test_numbers_and_dates_follow_the_greek_locale(browser_of: Any, rep: User, make_deal: Any) -> None:
    # given
    make_deal(rep, title="Μεγάλη", value=12500, expected_close_date=dt.date(2027, 3, 15))
    client = browser_of(rep)

    # when
    response = client.get("/board/", headers={"Accept-Language": "el"})

    # then
    html = response.content.decode()
    assert "12.500 EUR" in html
    assert "15/03/2027" in html
    assert 'data-value="12500.00"' in html  # read by the page's script, so never localized


# --- markers ------------------------------------------------------------------------------------------------


def _card_html(response: Any, deal: Deal) -> str:
    html = response.content.decode()
    match = re.search(
        rf'<li id="deal-{deal.pk}".*?</li>\s*(?=<li id="deal-|<li class="load-more"|</ol>)', html, re.S
    )
    assert match is not None
    return match.group(0)


def test_a_deal_without_progress_for_its_stages_rotting_days_is_flagged_rotting(
    browser_of: Any, rep: User, make_deal: Any
) -> None:
    # given: Lead rots after 14 days
    stale = make_deal(rep, title="Stale")
    worked_on = make_deal(rep, title="Worked on")
    fresh = make_deal(rep, title="Fresh")
    long_ago = timezone.now() - dt.timedelta(days=20)
    Deal.objects.filter(pk__in=[stale.pk, worked_on.pk]).update(stage_entered_at=long_ago)
    activity_record(
        actor=rep, kind="call", deal_id=worked_on.pk, done_at=timezone.now() - dt.timedelta(days=2)
    )

    # when
    response = browser_of(rep).get("/board/")

    # then
    assert "Rotting: no progress for 20 days" in _card_html(response, stale)
    assert "is-rotting" in _card_html(response, stale)
    assert "Rotting" not in _card_html(response, worked_on)
    assert "Rotting" not in _card_html(response, fresh)


def test_overdue_and_missing_next_steps_are_flagged(browser_of: Any, rep: User, make_deal: Any) -> None:
    # given
    overdue = make_deal(rep, title="Overdue")
    planned = make_deal(rep, title="Planned")
    nothing = make_deal(rep, title="Nothing planned")
    activity_schedule(
        actor=rep, kind="call", deal_id=overdue.pk, due_at=timezone.now() - dt.timedelta(hours=3)
    )
    activity_schedule(
        actor=rep, kind="call", deal_id=planned.pk, due_at=timezone.now() + dt.timedelta(days=1)
    )

    # when
    response = browser_of(rep).get("/board/")

    # then
    assert "Overdue activity" in _card_html(response, overdue)
    assert "No next step" not in _card_html(response, overdue)
    assert "Overdue activity" not in _card_html(response, planned)
    assert "No next step" not in _card_html(response, planned)
    assert "No next step" in _card_html(response, nothing)
    assert "Overdue activity" not in _card_html(response, nothing)


def test_a_deal_without_a_confirmed_decision_maker_says_so(
    browser_of: Any, rep: User, make_deal: Any, confirm_decision_maker: Any
) -> None:
    # given
    unconfirmed = make_deal(rep, title="Unconfirmed")
    confirmed = make_deal(rep, title="Confirmed")
    confirm_decision_maker(confirmed)

    # when
    response = browser_of(rep).get("/board/")

    # then
    assert "Decision maker not confirmed" in _card_html(response, unconfirmed)
    assert "Decision maker not confirmed" not in _card_html(response, confirmed)


# --- filters ------------------------------------------------------------------------------------------------


def test_a_manager_filters_by_owner(
    browser_of: Any, manager: User, rep: User, teammate: User, make_deal: Any
) -> None:
    # given
    make_deal(rep, title="Rep's")
    make_deal(teammate, title="Teammate's")

    # when
    response = browser_of(manager).get("/board/", {"owner": teammate.pk})

    # then
    assert _titles(response) == ["Teammate's"]
    assert _column(response, response.context["columns"][0].stage).totals.count == 1


def test_an_admin_filters_by_team(
    browser_of: Any, admin_user: User, rep: User, outsider: User, team: Team, make_deal: Any
) -> None:
    # given
    make_deal(rep, title="Athens deal")
    make_deal(outsider, title="Berlin deal")

    # when
    response = browser_of(admin_user).get("/board/", {"team": team.pk})

    # then
    assert _titles(response) == ["Athens deal"]


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("this_month", ["This month"]),
        ("next_month", ["Next month"]),
        ("overdue", ["Overdue"]),
        ("", ["Next month", "This month", "Overdue"]),
    ],
)
@pytest.mark.parametrize("viewer", ["rep", "admin_user"])
def test_the_board_filters_by_expected_close_period(
    browser_of: Any,
    rep: User,
    make_deal: Any,
    period: str,
    expected: list[str],
    viewer: str,
    request: pytest.FixtureRequest,
) -> None:
    # given
    today = timezone.localdate(timezone=rep.zone)
    this_month_end = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    make_deal(rep, title="This month", value=200, expected_close_date=this_month_end)
    make_deal(rep, title="Next month", value=300, expected_close_date=this_month_end + dt.timedelta(days=1))
    make_deal(
        rep, title="Overdue", value=100, expected_close_date=today.replace(day=1) - dt.timedelta(days=1)
    )

    # when
    response = browser_of(request.getfixturevalue(viewer)).get("/board/", {"close": period})

    # then
    assert _titles(response) == expected


def test_the_board_filters_by_a_custom_close_range(browser_of: Any, rep: User, make_deal: Any) -> None:
    # given
    make_deal(rep, title="March", expected_close_date=dt.date(2027, 3, 10))
    make_deal(rep, title="April", expected_close_date=dt.date(2027, 4, 10))

    # when
    response = browser_of(rep).get(
        "/board/", {"close": "custom", "close_from": "2027-03-01", "close_to": "2027-03-31"}
    )

    # then
    assert _titles(response) == ["March"]


@pytest.mark.parametrize("viewer", ["rep", "admin_user"])
def test_the_text_search_ignores_case_and_accents(
    browser_of: Any, rep: User, make_deal: Any, viewer: str, request: pytest.FixtureRequest
) -> None:
    # given
    make_deal(rep, title="Παπαδόπουλος ΑΕ: 10 άδειες", value=300)
    make_deal(
        rep, title="Acme", value=200, organization_id=OrganizationFactory(name="Ζαχαροπλαστείο Ρόδων").pk
    )
    make_deal(rep, title="Other", value=100)

    client = browser_of(request.getfixturevalue(viewer))

    # when
    by_title = client.get("/board/", {"q": "παπαδοπουλος"})
    by_organization = client.get("/board/", {"q": "ΖΑΧΑΡΟΠΛΑΣΤΕΙΟ"})

    # then
    assert _titles(by_title) == ["Παπαδόπουλος ΑΕ: 10 άδειες"]
    assert _titles(by_organization) == ["Acme"]
    assert _column(by_title, by_title.context["columns"][0].stage).totals.count == 1


@pytest.mark.parametrize(
    "query",
    [
        {"owner": "abc"},
        {"close": "someday"},
        {"close": "custom", "close_from": "2027-05-01", "close_to": "2027-04-01"},
        {"close_from": "not a date"},
        {"pipeline": "999999"},
    ],
)
def test_invalid_filters_get_a_clear_message_not_an_error(
    browser_of: Any, manager: User, rep: User, make_deal: Any, query: dict[str, str]
) -> None:
    # given
    make_deal(rep, title="Still shown")

    # when
    response = browser_of(manager).get("/board/", query)

    # then
    assert response.status_code == 200
    assert "Some filters were left out because they are not valid" in response.content.decode()
    assert _titles(response) == ["Still shown"]


def test_a_manager_cannot_filter_by_someone_outside_their_teams(
    browser_of: Any, manager: User, outsider: User, make_deal: Any
) -> None:
    # given
    make_deal(outsider, title="Outsider's")

    # when
    response = browser_of(manager).get("/board/", {"owner": outsider.pk})

    # then
    assert "You cannot see that person&#x27;s deals" in response.content.decode()
    assert _titles(response) == []


def test_another_pipeline_can_be_chosen(
    browser_of: Any, admin_user: User, rep: User, pipeline: Any, make_deal: Any
) -> None:
    # given
    renewals = pipeline_create(actor=admin_user, name="Renewals")
    make_deal(rep, title="Renewal", pipeline_id=renewals.pk)
    make_deal(rep, title="New business")

    # when
    default_board = browser_of(rep).get("/board/")
    renewals_board = browser_of(rep).get("/board/", {"pipeline": renewals.pk})

    # then
    assert _titles(default_board) == ["New business"]
    assert _titles(renewals_board) == ["Renewal"]
    assert {column.stage.pipeline_id for column in renewals_board.context["columns"]} == {renewals.pk}
    assert 'name="pipeline"' in renewals_board.content.decode()


def test_an_htmx_filter_request_gets_only_the_board_fragment(
    browser_of: Any, rep: User, make_deal: Any
) -> None:
    # given
    make_deal(rep, title="Acme")

    # when
    response = browser_of(rep).get("/board/", {"q": "acme"}, headers={**HTMX, "HX-Target": "board"})

    # then
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="board"')
    assert "<html" not in html
    assert "Acme" in html
    assert "HX-Request" in response["Vary"]


# --- paging -------------------------------------------------------------------------------------------------


def _next_page(client: Client, url: str) -> tuple[list[str], str | None]:
    response = client.get(url, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    titles = re.findall(r'data-title="([^"]+)"', html)
    more = re.search(r'hx-get="([^"]+)"', html)
    return titles, more.group(1).replace("&amp;", "&") if more else None


@pytest.mark.parametrize("viewer", ["rep", "manager", "admin_user"])
def test_load_more_pages_through_a_column_without_repeats(
    browser_of: Any,
    rep: User,
    stages: dict[str, Stage],
    make_deal: Any,
    viewer: str,
    request: pytest.FixtureRequest,
) -> None:
    # given: 45 deals, in pairs of equal value, so pages also break between equal values
    for n in range(45):
        make_deal(rep, title=f"Deal {n:02}", value=1000 + (n // 2) * 10)
    client = browser_of(request.getfixturevalue(viewer))

    # when
    board = client.get("/board/")
    first = [card.deal.title for card in _column(board, stages["Lead"]).cards]
    more_url = _column(board, stages["Lead"]).more_url
    second, more_url = _next_page(client, more_url)
    assert more_url is not None
    third, last_url = _next_page(client, more_url)

    # then
    expected = [deal.title for deal in Deal.objects.order_by("-value", "-id")]
    assert first + second + third == expected
    assert (len(first), len(second), len(third)) == (20, 20, 5)
    assert last_url is None


def test_a_column_without_more_cards_has_no_load_more(browser_of: Any, rep: User, make_deal: Any) -> None:
    # given
    for n in range(20):
        make_deal(rep, title=f"Deal {n}")

    # when
    response = browser_of(rep).get("/board/")

    # then
    assert "Load more" not in response.content.decode()


def test_load_more_keeps_the_filters_and_works_without_javascript(
    browser_of: Any, rep: User, stages: dict[str, Stage], make_deal: Any
) -> None:
    # given
    for n in range(25):
        make_deal(rep, title=f"Acme {n:02}", value=100 + n)
        make_deal(rep, title=f"Other {n:02}", value=100 + n)
    client = browser_of(rep)
    more_url = _column(client.get("/board/", {"q": "acme"}), stages["Lead"]).more_url

    # when
    page = client.get(more_url)

    # then
    assert "q=acme" in more_url
    assert page.status_code == 200
    assert "<html" in page.content.decode()
    titles = [card.deal.title for card in page.context["cards"]]
    assert titles == [f"Acme {n:02}" for n in range(4, -1, -1)]


def test_a_broken_load_more_link_is_refused_clearly(
    browser_of: Any, rep: User, stages: dict[str, Stage]
) -> None:
    # when
    response = browser_of(rep).get(
        f"/board/stages/{stages['Lead'].pk}/cards/", {"after_value": "lots", "after_id": "1"}, headers=HTMX
    )

    # then
    assert response.status_code == 422
    assert "reload the board" in response.content.decode()


def test_load_more_shows_only_deals_the_actor_may_see(
    browser_of: Any, rep: User, teammate: User, stages: dict[str, Stage], make_deal: Any
) -> None:
    # given
    make_deal(teammate, title="Teammate's", value=10)

    # when
    response = browser_of(rep).get(
        f"/board/stages/{stages['Lead'].pk}/cards/",
        {"after_value": "1000", "after_id": "999999"},
        headers=HTMX,
    )

    # then
    assert response.status_code == 200
    assert "Teammate" not in response.content.decode()


# --- query counts -------------------------------------------------------------------------------------------


def _deals_everywhere(owners: list[User], stages: dict[str, Stage], make_deal: Any, count: int) -> None:
    open_stages = ["Lead", "Contacted", "Qualified"]
    for n in range(count):
        organization = OrganizationFactory()
        make_deal(
            owners[n % len(owners)],
            title=f"Deal {n}",
            value=100 + n,
            organization_id=organization.pk,
            stage_id=stages[open_stages[n % len(open_stages)]].pk,
        )


@pytest.mark.parametrize("deals", [5, 50])
def test_the_board_runs_the_same_queries_whatever_the_number_of_deals(
    browser_of: Any,
    rep: User,
    teammate: User,
    manager: User,
    admin_user: User,
    stages: dict[str, Stage],
    make_deal: Any,
    django_assert_num_queries: Any,
    deals: int,
) -> None:
    # given
    _deals_everywhere([rep, teammate], stages, make_deal, deals)
    clients = {
        role: browser_of(user) for role, user in [("rep", rep), ("manager", manager), ("admin", admin_user)]
    }

    # when
    with django_assert_num_queries(REP_BOARD_QUERIES):
        reps_board = clients["rep"].get("/board/")
    with django_assert_num_queries(MANAGER_BOARD_QUERIES):
        managers_board = clients["manager"].get("/board/", {"q": "deal", "close": "this_quarter"})
    with django_assert_num_queries(MANAGER_BOARD_QUERIES):
        admins_board = clients["admin"].get("/board/")

    # then
    assert len(_titles(admins_board)) == min(deals, 60)
    assert len(_titles(reps_board)) == len([n for n in range(deals) if n % 2 == 0])
    assert managers_board.status_code == 200


@pytest.mark.parametrize("deals", [5, 50])
def test_load_more_runs_the_same_queries_whatever_the_number_of_deals(
    browser_of: Any,
    manager: User,
    rep: User,
    stages: dict[str, Stage],
    make_deal: Any,
    django_assert_num_queries: Any,
    deals: int,
) -> None:
    # given
    for n in range(deals):
        make_deal(rep, title=f"Deal {n}", value=100 + n, organization_id=OrganizationFactory().pk)
    client = browser_of(manager)
    url = f"/board/stages/{stages['Lead'].pk}/cards/?after_value=100000&after_id=1&q=deal"

    # when
    with django_assert_num_queries(LOAD_MORE_QUERIES):
        response = client.get(url, headers=HTMX)

    # then
    assert response.content.decode().count('<li id="deal-') == min(deals, 20)


# --- moving -------------------------------------------------------------------------------------------------


def test_moving_a_card_moves_the_deal_and_updates_the_columns(
    browser_of: Any, rep: User, stages: dict[str, Stage], make_deal: Any
) -> None:
    # given
    deal = make_deal(rep, title="Acme", value=1000)

    # when
    response = browser_of(rep).post(
        f"/board/deals/{deal.pk}/move/?q=acme",
        {"to": stages["Contacted"].pk, "version": deal.version},
        headers=HTMX,
    )

    # then
    assert response.status_code == 200
    moved = _reloaded(deal)
    assert moved.stage == stages["Contacted"]
    assert moved.version == deal.version + 1
    html = response.content.decode()
    assert f'<header id="stage-head-{stages["Contacted"].pk}" class="column-head" hx-swap-oob="true">' in html
    assert re.search(rf'<li id="deal-{deal.pk}"[^>]*data-stage-id="{stages["Contacted"].pk}"', html, re.S)
    contacted = html[html.index(f'id="stage-head-{stages["Contacted"].pk}"') :]
    assert "1 deal" in contacted
    assert "Acme” moved to Contacted" in html
    assert f"/board/deals/{deal.pk}/move/?q=acme" in html


def test_a_gate_refusal_is_shown_and_changes_nothing(
    browser_of: Any, rep: User, stages: dict[str, Stage], make_deal: Any
) -> None:
    # given
    deal = make_deal(rep, title="Acme")

    # when
    response = browser_of(rep).post(
        f"/board/deals/{deal.pk}/move/",
        {"to": stages["Appointment"].pk, "version": deal.version},
        headers=HTMX,
    )

    # then
    assert response.status_code == 409
    assert response["Content-Type"].startswith("text/plain")
    assert "cannot enter 'Appointment' before a decision maker is confirmed" in response.content.decode()
    unchanged = _reloaded(deal)
    assert (unchanged.stage, unchanged.version) == (stages["Lead"], deal.version)


def test_with_a_confirmed_decision_maker_the_deal_enters_the_appointment_stage(
    browser_of: Any, rep: User, stages: dict[str, Stage], make_deal: Any, confirm_decision_maker: Any
) -> None:
    # given
    deal = make_deal(rep, title="Acme")
    confirm_decision_maker(deal)

    # when
    response = browser_of(rep).post(
        f"/board/deals/{deal.pk}/move/",
        {"to": stages["Appointment"].pk, "version": deal.version},
        headers=HTMX,
    )

    # then
    assert response.status_code == 200
    assert _reloaded(deal).stage == stages["Appointment"]


def test_a_stale_card_is_refused(
    browser_of: Any, rep: User, stages: dict[str, Stage], make_deal: Any
) -> None:
    # given
    deal = make_deal(rep, title="Acme")
    client = browser_of(rep)
    client.post(f"/board/deals/{deal.pk}/move/", {"to": stages["Contacted"].pk, "version": 1}, headers=HTMX)

    # when
    response = client.post(
        f"/board/deals/{deal.pk}/move/", {"to": stages["Qualified"].pk, "version": 1}, headers=HTMX
    )

    # then
    assert response.status_code == 412
    assert "changed by someone else" in response.content.decode()
    assert _reloaded(deal).stage == stages["Contacted"]


def test_winning_a_deal_takes_it_off_the_board(browser_of: Any, rep: User, make_deal: Any) -> None:
    # given
    deal = make_deal(rep, title="Acme")

    # when
    response = browser_of(rep).post(
        f"/board/deals/{deal.pk}/move/", {"to": "won", "version": deal.version}, headers=HTMX
    )

    # then
    assert response.status_code == 200
    assert _reloaded(deal).status == DealStatus.WON
    assert f'<li id="deal-{deal.pk}" hx-swap-oob="delete"></li>' in response.content.decode()


def test_losing_a_deal_needs_a_reason(browser_of: Any, rep: User, make_deal: Any) -> None:
    # given
    deal = make_deal(rep, title="Acme")
    client = browser_of(rep)

    # when
    refused = client.post(
        f"/board/deals/{deal.pk}/move/",
        {"to": "lost", "version": deal.version, "lost_reason": " "},
        headers=HTMX,
    )
    accepted = client.post(
        f"/board/deals/{deal.pk}/move/",
        {"to": "lost", "version": deal.version, "lost_reason": "Went with a competitor"},
        headers=HTMX,
    )

    # then
    assert refused.status_code == 409
    assert "the reason is required" in refused.content.decode()
    assert accepted.status_code == 200
    lost = _reloaded(deal)
    assert (lost.status, lost.lost_reason) == (DealStatus.LOST, "Went with a competitor")


@pytest.mark.parametrize("data", [{"to": "somewhere", "version": "1"}, {"to": "won"}])
def test_a_malformed_move_is_refused(
    browser_of: Any, rep: User, make_deal: Any, data: dict[str, str]
) -> None:
    # given
    deal = make_deal(rep, title="Acme")

    # when
    response = browser_of(rep).post(f"/board/deals/{deal.pk}/move/", data, headers=HTMX)

    # then
    assert response.status_code == 422
    assert _reloaded(deal).status == DealStatus.OPEN


def test_a_rep_cannot_move_another_reps_deal(
    browser_of: Any, rep: User, teammate: User, stages: dict[str, Stage], make_deal: Any
) -> None:
    # given
    deal = make_deal(teammate, title="Teammate's")
    client = browser_of(rep)
    data = {"to": stages["Contacted"].pk, "version": deal.version}

    # when
    with_htmx = client.post(f"/board/deals/{deal.pk}/move/", data, headers=HTMX)
    without_js = client.post(f"/board/deals/{deal.pk}/move/", data)
    move_page = client.get(f"/board/deals/{deal.pk}/move/")

    # then
    assert (with_htmx.status_code, without_js.status_code, move_page.status_code) == (404, 404, 404)
    assert _reloaded(deal).stage == stages["Lead"]


def test_a_manager_moves_a_team_members_deal(
    browser_of: Any, manager: User, rep: User, stages: dict[str, Stage], make_deal: Any
) -> None:
    # given
    deal = make_deal(rep, title="Acme")

    # when
    response = browser_of(manager).post(
        f"/board/deals/{deal.pk}/move/", {"to": stages["Contacted"].pk, "version": deal.version}, headers=HTMX
    )

    # then
    assert response.status_code == 200
    assert _reloaded(deal).stage == stages["Contacted"]


# --- moving without JavaScript ------------------------------------------------------------------------------


def test_the_move_form_works_without_javascript(
    browser_of: Any, rep: User, stages: dict[str, Stage], make_deal: Any
) -> None:
    # given
    deal = make_deal(rep, title="Acme")
    client = browser_of(rep)
    form = client.get(f"/board/deals/{deal.pk}/move/?q=acme")
    assert form.status_code == 200
    assert f'value="{deal.version}"' in form.content.decode()
    assert f'<option value="{stages["Lead"].pk}" selected>Lead</option>' in form.content.decode()

    # when
    response = client.post(
        f"/board/deals/{deal.pk}/move/?q=acme", {"to": stages["Qualified"].pk, "version": deal.version}
    )

    # then
    assert response.status_code == 302
    assert response.url == "/board/?q=acme"
    assert _reloaded(deal).stage == stages["Qualified"]
    board = client.get(response.url)
    assert "“Acme” moved to Qualified." in board.content.decode()


def test_a_refusal_without_javascript_shows_the_form_again_with_the_message(
    browser_of: Any, rep: User, make_deal: Any
) -> None:
    # given
    deal = make_deal(rep, title="Acme")

    # when
    response = browser_of(rep).post(f"/board/deals/{deal.pk}/move/", {"to": "lost", "version": deal.version})

    # then
    assert response.status_code == 409
    html = response.content.decode()
    assert "the reason is required" in html
    assert 'name="lost_reason"' in html
    assert _reloaded(deal).status == DealStatus.OPEN


def test_every_card_has_a_move_control_that_works_without_a_mouse(
    browser_of: Any, rep: User, make_deal: Any
) -> None:
    # given
    deal = make_deal(rep, title="Acme")

    # when
    html = browser_of(rep).get("/board/", {"q": "acme"}).content.decode()

    # then
    assert f'<a class="card-move" href="/board/deals/{deal.pk}/move/?q=acme">' in html
    assert '<dialog id="move-dialog"' in html
    assert '<option value="lost">Lost</option>' in html
