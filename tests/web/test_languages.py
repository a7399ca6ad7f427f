"""English and Greek: the catalogues are complete and current, the pages speak the language the person
chose (Accept-Language or the language picker), refusals from the services come back in it, and numbers
and dates are written the way that language writes them."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import templatize

from salespipe.activities.services import activity_schedule
from salespipe.deals.models import ContactRole, Deal, DealContact, Stage
from salespipe.people.models import User
from tests.factories import PersonFactory

SOURCE = Path(settings.SOURCE_ROOT)
# Every Greek catalogue: the project's (LOCALE_PATHS) and any an app keeps for itself.
CATALOGUES = sorted(SOURCE.glob("**/locale/el/LC_MESSAGES/django.po"))
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
# What the code marks for translation, as makemessages reads it (xgettext's Python keywords).
KEYWORDS: dict[str, Any] = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}


def read_catalogue(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def catalogue_for(source: Path) -> Path:
    """The catalogue makemessages writes a source file's strings to: the nearest enclosing app's own
    locale directory, else the project's."""
    for catalogue in CATALOGUES:
        app = catalogue.parents[3]
        if app != SOURCE and app in source.parents:
            return catalogue
    return SOURCE / "locale" / "el" / "LC_MESSAGES" / "django.po"


def marked_strings(source: Path) -> Iterator[tuple[str, str | tuple[str, ...]]]:
    """(context, msgid) of each string a Python file or a template marks for translation."""
    text = source.read_text(encoding="utf-8")
    if source.suffix != ".py":
        # Django's own step before xgettext: translation tags become gettext calls amid filler that
        # keeps the line numbers. Python's tokenizer only needs the filler's indentation gone.
        text = "\n".join(line.lstrip() for line in templatize(text, origin=str(source)).splitlines())
    for _line, message, _comments, context in extract("python", io.BytesIO(text.encode()), keywords=KEYWORDS):
        yield context or "", message


def sources() -> list[Path]:
    return sorted(
        path
        for pattern in ("**/*.py", "**/templates/**/*.html", "**/templates/**/*.txt")
        for path in SOURCE.glob(pattern)
        if "migrations" not in path.parts
    )


def greek(user: User) -> Client:
    """A browser that asks for Greek pages, signed in as `user`."""
    client = Client(headers={"Accept-Language": "el"})
    client.force_login(user)
    return client


def text(response: Any) -> str:
    return response.content.decode()


# --- the catalogues -------------------------------------------------------------------------------------


def test_there_is_a_greek_catalogue() -> None:
    assert SOURCE / "locale" / "el" / "LC_MESSAGES" / "django.po" in CATALOGUES


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: str(path.relative_to(SOURCE)))
def test_every_entry_of_the_greek_catalogue_is_translated_and_none_is_fuzzy(path: Path) -> None:
    catalogue = read_catalogue(path)

    assert not catalogue.fuzzy, "the header is marked fuzzy"
    problems = []
    for message in catalogue:
        if not message.id:
            continue
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        if not all(forms) or (isinstance(message.id, tuple) and len(forms) != 2):
            problems.append(f"untranslated: {message.id!r}")
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = {placeholder for msgid in ids for placeholder in PLACEHOLDER.findall(msgid)}
        for form in forms:
            if form and set(PLACEHOLDER.findall(form)) != wanted:
                problems.append(f"placeholders differ: {message.id!r} → {form!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: str(path.relative_to(SOURCE)))
def test_the_compiled_catalogue_matches_its_source(path: Path) -> None:
    """The .mo is kept in the repository (no gettext needed to run the app), so it must be compiled
    from the .po as it is now: `make messages`."""
    compiled_path = path.with_suffix(".mo")
    assert compiled_path.exists(), f"{compiled_path} is missing: run `make messages`"
    with compiled_path.open("rb") as file:
        compiled = read_mo(file)

    def pairs(catalogue: Catalog) -> dict[Any, Any]:
        def plain(value: Any) -> Any:
            return tuple(value) if isinstance(value, list | tuple) else value

        return {(m.context, plain(m.id)): plain(m.string) for m in catalogue if m.id}

    assert pairs(compiled) == pairs(read_catalogue(path)), f"{compiled_path} is stale: run `make messages`"


def test_every_string_the_code_marks_for_translation_is_in_the_catalogue() -> None:
    """What makemessages would add is missing from Greek until someone translates it: run
    `make messages` and translate the new entries."""
    known = {path: {(m.context or "", m.id) for m in read_catalogue(path) if m.id} for path in CATALOGUES}
    missing = [
        f"{source.relative_to(SOURCE)}: {msgid!r}"
        for source in sources()
        for context, msgid in marked_strings(source)
        if (context, msgid) not in known.get(catalogue_for(source), set())
    ]
    assert not missing, "\n".join(missing)


# --- pages in Greek ---------------------------------------------------------------------------------------


@pytest.fixture
def deal(rep: User, make_deal: Any) -> Deal:
    person = PersonFactory(first_name="Μαρία", last_name="Παπαδοπούλου")
    return make_deal(
        rep,
        title="Acme: 20 άδειες",
        organization_id=person.organization_id,
        person_id=person.pk,
        value=Decimal("1234567.89"),
        expected_close_date=dt.date(2026, 12, 31),
    )


@pytest.mark.django_db
def test_the_board_speaks_greek_when_the_browser_asks_for_it(rep: User, deal: Deal) -> None:
    # when
    response = greek(rep).get(reverse("deals:board"))

    # then
    page = text(response)
    assert response.status_code == 200
    assert '<html lang="el"' in page
    assert ">Πίνακας</a>" in page
    assert ">Ατζέντα</a>" in page
    assert ">Οργανισμοί</a>" in page
    assert "Αναμενόμενο κλείσιμο" in page
    # The picker names each language in that language.
    assert ">English</option>" in page
    assert ">Ελληνικά</option>" in page


@pytest.mark.django_db
def test_the_board_stays_english_by_default(rep: User, deal: Deal, browser_of: Any) -> None:
    # when
    page = text(browser_of(rep).get(reverse("deals:board")))

    # then
    assert '<html lang="en"' in page
    assert ">Agenda</a>" in page
    assert "Ατζέντα" not in page


@pytest.mark.django_db
def test_the_language_picker_switches_the_interface_to_greek(rep: User, deal: Deal, browser_of: Any) -> None:
    # given
    browser = browser_of(rep)
    detail = reverse("deals:detail", args=[deal.pk])

    # when
    switched = browser.post(reverse("set_language"), {"language": "el", "next": detail})
    page = text(browser.get(detail))

    # then
    assert switched.status_code == 302
    assert switched["Location"] == detail
    assert '<html lang="el"' in page
    assert "Προγραμματισμός επόμενου βήματος" in page
    assert "Σήμανση ως κερδισμένη" in page
    assert "Πιθανότητα επιτυχίας" in page
    assert "Επαφές της ευκαιρίας" in page
    # Choice labels of the models are translated too.
    assert '<option value="decision_maker">Υπεύθυνος λήψης αποφάσεων</option>' in page
    assert '<option value="economic_buyer">Οικονομικός αγοραστής</option>' in page


@pytest.mark.django_db
def test_the_agenda_speaks_greek(rep: User, deal: Deal) -> None:
    # given
    activity_schedule(
        actor=rep,
        kind="info_request",
        subject="Τιμοκατάλογος",
        deal_id=deal.pk,
        due_at=timezone.now() + dt.timedelta(days=2),
    )

    # when
    page = text(greek(rep).get(reverse("activities:agenda")))

    # then
    assert "Η ατζέντα σας" in page
    assert "Σε καθυστέρηση" in page
    assert "Σήμερα" in page
    assert "Προσεχώς" in page
    assert '<span class="entry-kind">Αίτημα πληροφοριών</span> Τιμοκατάλογος' in page
    assert "Ολοκλήρωση" in page


@pytest.mark.django_db
def test_a_gate_refusal_comes_back_in_greek_when_the_page_is_greek(
    rep: User, deal: Deal, stages: dict[str, Stage]
) -> None:
    # when
    response = greek(rep).post(
        reverse("deals:detail_move", args=[deal.pk]),
        {"stage_id": stages["Appointment"].pk, "version": deal.version},
        follow=True,
    )

    # then
    messages = [str(message) for message in response.context["messages"]]
    assert messages == [
        "Η ευκαιρία «Acme: 20 άδειες» δεν μπορεί να περάσει στο στάδιο «Appointment» πριν επιβεβαιωθεί "
        "υπεύθυνος λήψης αποφάσεων. Προσθέστε στην ευκαιρία το πρόσωπο που αποφασίζει (υπεύθυνο λήψης "
        "αποφάσεων ή οικονομικό αγοραστή) και επιβεβαιώστε την αγοραστική του εξουσία: ποιος την "
        "επιβεβαίωσε, πότε και πώς."
    ]
    deal.refresh_from_db()
    assert deal.stage.name == "Lead"


@pytest.mark.django_db
def test_the_api_answers_in_the_language_asked_for_and_keeps_its_codes(
    rep: User, deal: Deal, stages: dict[str, Stage], browser_of: Any
) -> None:
    # given
    client = browser_of(rep)
    path = f"/api/v1/deals/{deal.pk}/move"
    body = {"stage_id": stages["Appointment"].pk}

    # when
    english = client.post(path, body, content_type="application/json")
    in_greek = client.post(path, body, content_type="application/json", headers={"Accept-Language": "el"})

    # then
    assert english.status_code == in_greek.status_code == 409
    assert english.json()["error"]["code"] == in_greek.json()["error"]["code"] == "decision_maker_required"
    assert english.json()["error"]["message"].startswith(
        "'Acme: 20 άδειες' cannot enter 'Appointment' before a decision maker is confirmed."
    )
    assert in_greek.json()["error"]["message"].startswith(
        "Η ευκαιρία «Acme: 20 άδειες» δεν μπορεί να περάσει στο στάδιο «Appointment»"
    )


@pytest.mark.django_db
def test_a_field_refusal_names_the_field_in_greek(rep: User, deal: Deal) -> None:
    # when
    response = greek(rep).post(
        reverse("deals:detail_edit", args=[deal.pk, "value"]),
        {"value": "-5", "currency": "EUR", "version": deal.version},
        headers={"HX-Request": "true"},
    )

    # then
    assert response.status_code == 422
    assert "Το πεδίο «Αξία» πρέπει να είναι από 0 έως 999999999999.99." in text(response)


# --- numbers and dates ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_money_and_dates_are_written_the_greek_way_on_the_deal_page(rep: User, deal: Deal) -> None:
    # when
    page = text(greek(rep).get(reverse("deals:detail", args=[deal.pk])))

    # then
    assert "1.234.567,89\xa0€" in page
    assert "31/12/2026" in page


@pytest.mark.django_db
def test_money_and_dates_are_written_the_english_way_in_english(
    rep: User, deal: Deal, browser_of: Any
) -> None:
    # when
    page = text(browser_of(rep).get(reverse("deals:detail", args=[deal.pk])))

    # then
    assert "€1,234,567.89" in page
    assert "Dec. 31, 2026" in page


@pytest.mark.django_db
def test_the_directory_lists_deal_values_with_greek_separators(rep: User, deal: Deal) -> None:
    # when
    page = text(greek(rep).get(reverse("directory:organization", args=[deal.organization_id])))

    # then
    assert "1.234.567,89 EUR" in page
    assert "31/12/2026" in page


@pytest.mark.django_db
def test_a_value_typed_the_greek_way_is_read_the_greek_way(rep: User, deal: Deal) -> None:
    # when
    response = greek(rep).post(
        reverse("deals:detail_edit", args=[deal.pk, "value"]),
        {"value": "12.345,50", "currency": "EUR", "version": deal.version},
    )

    # then
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.value == Decimal("12345.50")


@pytest.mark.django_db
def test_ids_in_links_and_forms_are_never_grouped(rep: User, deal: Deal) -> None:
    # given: ids that a thousands separator would turn into "12.345"
    contact = DealContact.objects.create(
        pk=12345, deal=deal, person=PersonFactory(pk=23456), role=ContactRole.CHAMPION
    )

    # when
    page = text(greek(rep).get(reverse("deals:detail", args=[deal.pk])))

    # then
    assert f'id="contact-{contact.pk}"' in page
    assert reverse("deals:detail_contact_remove", args=[deal.pk, contact.pk]) in page
    assert "12.345" not in page
    assert "23.456" not in page
