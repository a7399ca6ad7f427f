"""Writing parsed rows to the database, one batch at a time (docs/import.md#how-an-import-runs).

A batch is read with a handful of queries whatever its size (the records its rows may already be, by
external id, name, domain, email or title), decided in Python (create, update or leave alone), and written
with one statement per table through the bulk row writers, because the ORM's per-object cost would cap an
import far below its 20,000 rows a second. The services' rules that hold for every deal hold here too: a
deal's stage belongs to its pipeline, a won deal has its won time, a lost one its time and reason, values
are in the base currency too, and every stage a deal enters is in its history, with its stays following.
Gates do not apply: an import records where deals already are.

The caller owns the transaction: `ImportRun` in `services` commits each batch with the import's progress.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext as _

from salespipe.activities.models import Activity
from salespipe.core.bulk import TableSpec, allocate_ids, row_writer, table_spec
from salespipe.core.money import to_base
from salespipe.core.text import fold
from salespipe.deals.models import Deal, DealStatus, Pipeline, StageChange, StageKind, StageStay
from salespipe.deals.services import deals_refresh_activity_marks, stage_stays_rebuild
from salespipe.directory.models import Organization, Person
from salespipe.imports.fields import Entity
from salespipe.imports.mapping import Mapping
from salespipe.imports.models import ExternalRecord
from salespipe.imports.rows import DealIn, OrganizationIn, ParsedRow, Problem
from salespipe.imports.targets import PipelineShape, StageShape, Targets
from salespipe.people.models import User

# Imported dates carry no time of day; noon UTC keeps them on the same calendar day in every time zone
# from UTC-11 to UTC+11, so a deal won "on the 30th" counts in that month for everyone who reads it.
NOON = dt.time(12, tzinfo=dt.UTC)
IMPORTED_WITHOUT_REASON = "Not given (imported)"


def _moment(day: dt.date | None) -> dt.datetime | None:
    return dt.datetime.combine(day, NOON) if day is not None else None


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0


@dataclass
class Totals:
    """What an import did so far: per entity, and the file's values nothing here matched (by kind)."""

    tallies: dict[str, Tally] = field(default_factory=dict)
    rows: int = 0
    failed_rows: int = 0
    unmatched: dict[str, Counter[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "entities": {name: vars(tally) for name, tally in self.tallies.items()},
            "rows": self.rows,
            "failed_rows": self.failed_rows,
            "unmatched": {kind: dict(values.most_common(50)) for kind, values in self.unmatched.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Totals:
        return cls(
            tallies={name: Tally(**values) for name, values in data.get("entities", {}).items()},
            rows=data.get("rows", 0),
            failed_rows=data.get("failed_rows", 0),
            unmatched={kind: Counter(values) for kind, values in data.get("unmatched", {}).items()},
        )


class IdSet:
    """A set of record ids as one bit each: ids are dense, so a million of them take 125 KiB where a set
    of ints takes 60 MiB. An import remembers every record it counted in one."""

    def __init__(self) -> None:
        self._bits = bytearray()

    def __contains__(self, pk: int) -> bool:
        byte = pk >> 3
        return byte < len(self._bits) and bool(self._bits[byte] & (1 << (pk & 7)))

    def add(self, pk: int) -> None:
        byte = pk >> 3
        if byte >= len(self._bits):
            self._bits.extend(bytes(max(byte + 1 - len(self._bits), len(self._bits))))
        self._bits[byte] |= 1 << (pk & 7)

    def update(self, pks: Iterable[int]) -> None:
        for pk in pks:
            self.add(pk)


@dataclass
class _Ref:
    """A record a row refers to: an existing one, or one this batch creates (its id comes later)."""

    id: int = 0
    new: bool = False


@dataclass
class _DealPlan:
    """A deal row resolved against the database's pipelines, users and rates."""

    deal: DealIn
    pipeline: PipelineShape
    stage: StageShape  # where the deal is now
    entered: (
        StageShape | None
    )  # a closed deal's last open stage, entered before it closed, when the file says
    status: str
    owner_id: int
    currency: str
    value: Decimal
    base_value: Decimal
    created_at: dt.datetime
    closed_at: dt.datetime | None
    lost_reason: str


_ORGANIZATION_COLUMNS = ("website", "domain", "phone", "address", "city", "country", "industry")
_PERSON_COLUMNS = ("first_name", "last_name", "email", "phone", "job_title")


class Loader:
    """Resolves and writes batches of one import."""

    def __init__(
        self,
        *,
        actor_id: int | None,
        mapping: Mapping,
        pipeline: Pipeline | None,
        default_owner: User | None,
        totals: Totals,
        report: Callable[[Problem], None],
        now: dt.datetime,
    ) -> None:
        self.actor_id = actor_id  # who the new rows are created by: None from the command line
        self.mapping = mapping
        self.source = mapping.source
        self.totals = totals
        self.report = report
        self.now = now
        self.entities = [entity for entity in Entity if entity in mapping.entities]
        for entity in self.entities:
            totals.tallies.setdefault(entity.value, Tally())
        # Rows that name no owner go to `--owner`, else to the person importing (the command line is no one).
        self.default_owner_id: int | None = default_owner.pk if default_owner is not None else actor_id
        self.targets = targets = Targets(mapping, pipeline=pipeline)
        self.default_pipeline = targets.default_pipeline
        self.rates = targets.rates
        self.base = targets.base
        self.default_currency = (mapping.currency or self.base).upper()
        # Records already counted by this import, so one seen by many rows counts once.
        self.counted: dict[Entity, IdSet] = {entity: IdSet() for entity in Entity}
        self.writer = row_writer(connection)
        self.adapt_time = connection.ops.adapt_datetimefield_value
        self.adapt_date = connection.ops.adapt_datefield_value
        self._times: dict[dt.datetime, Any] = {}
        self.closed_deals_touched = False

    # --- one batch -------------------------------------------------------------------------------------

    def load(self, rows: Sequence[ParsedRow]) -> None:
        """Import a batch of parsed rows inside the caller's transaction; rows with a problem import
        nothing and are reported."""
        plans: list[_DealPlan | None] = []
        activity_deals: dict[int, int] = {}  # row index → existing deal id named by the activity
        good: list[ParsedRow] = []
        external_deals = self._external(
            Entity.DEAL,
            {row.activity.deal_external_id for row in rows if row.activity and row.activity.deal_external_id},
        )
        batch_deal_ids = {row.deal.external_id for row in rows if row.deal and row.deal.external_id}
        for row in rows:
            self.totals.rows += 1
            plan = self._plan_deal(row) if row.deal is not None and not row.problems else None
            if row.activity is not None and not row.problems:
                self._check_activity(row, external_deals, batch_deal_ids)
            if row.problems:
                self._fail(row)
                continue
            if row.activity is not None and row.activity.deal_external_id in external_deals:
                activity_deals[len(good)] = external_deals[row.activity.deal_external_id]
            good.append(row)
            plans.append(plan)
        organizations = self._organizations(good)
        people = self._people(good, organizations)
        deals = self._deals(good, plans, organizations, people)
        self._activities(good, activity_deals, deals, organizations, people)

    def _fail(self, row: ParsedRow) -> None:
        """A row with a problem brings in none of its records: each counts as failed."""
        self.totals.failed_rows += 1
        for entity in self.entities:
            self.totals.tallies[entity.value].failed += 1
        for problem in row.problems:
            self.report(problem)

    def _unmatched(self, kind: str, value: str) -> None:
        self.totals.unmatched.setdefault(kind, Counter())[value] += 1

    def _user(self, value: str) -> int | None:
        return self.targets.user(value)

    def _problem(self, row: ParsedRow, key: str, value: str, reason: str) -> None:
        row.problems.append(Problem(row.number, self.mapping.columns.get(key, ""), value, reason))

    def _plan_deal(self, row: ParsedRow) -> _DealPlan | None:
        deal = row.deal
        assert deal is not None
        pipeline = self.default_pipeline
        if deal.pipeline:
            found = self.targets.pipeline(deal.pipeline)
            if found is None:
                self._unmatched("pipeline", deal.pipeline)
                self._problem(
                    row,
                    "deal.pipeline",
                    deal.pipeline,
                    _('no pipeline of this name; map it under [pipelines] (e.g. "%(value)s" = "%(ours)s")')
                    % {"value": deal.pipeline, "ours": self.default_pipeline.name},
                )
                return None
            pipeline = found
        stage = pipeline.first_open
        if deal.stage:
            found_stage = self.targets.stage(pipeline, deal.stage)
            if found_stage is None:
                self._unmatched("stage", deal.stage)
                self._problem(
                    row,
                    "deal.stage",
                    deal.stage,
                    _(
                        "no stage of this name in the pipeline '%(pipeline)s'; map it under [stages] "
                        '(e.g. "%(value)s" = "Qualified")'
                    )
                    % {"pipeline": pipeline.name, "value": deal.stage},
                )
                return None
            stage = found_stage
        status = deal.status or (stage.kind if stage.kind != StageKind.OPEN else DealStatus.OPEN)
        entered: StageShape | None = None
        if status != DealStatus.OPEN:
            closing = pipeline.won if status == DealStatus.WON else pipeline.lost
            if closing is None:
                self._problem(
                    row,
                    "deal.status",
                    deal.status,
                    _("the pipeline '%(pipeline)s' has no %(status)s stage")
                    % {"pipeline": pipeline.name, "status": status},
                )
                return None
            if stage.kind == StageKind.OPEN:
                entered = stage
            elif stage.kind != status:
                self._problem(
                    row,
                    "deal.stage",
                    deal.stage,
                    _("the stage is a %(kind)s stage but the deal is %(status)s")
                    % {"kind": stage.kind, "status": status},
                )
                return None
            stage = closing
        elif stage.kind != StageKind.OPEN:
            self._problem(
                row,
                "deal.status",
                deal.status,
                _("the deal is open but its stage is a %(kind)s stage") % {"kind": stage.kind},
            )
            return None
        owner_id = self.default_owner_id
        if deal.owner:
            found_owner = self._user(deal.owner)
            if found_owner is None:
                self._unmatched("owner", deal.owner)
                self._problem(
                    row,
                    "deal.owner",
                    deal.owner,
                    _(
                        "no active user with this username, email or name; add them, or map the value under "
                        '[owners] (e.g. "%(value)s" = "a.username")'
                    )
                    % {"value": deal.owner},
                )
                return None
            owner_id = found_owner
        if owner_id is None:
            self._problem(row, "deal.owner", "", _("the row names no owner; give one with --owner"))
            return None
        currency = (deal.currency or self.default_currency).upper()
        rate = Decimal(1) if currency == self.base else self.rates.get(currency)
        if rate is None:
            self._unmatched("currency", currency)
            self._problem(
                row,
                "deal.value",
                currency,
                _(
                    "no exchange rate from %(currency)s to %(base)s; an administrator adds one under "
                    "Settings → Exchange rates"
                )
                % {"currency": currency, "base": self.base},
            )
            return None
        value = (deal.value or Decimal(0)).quantize(Decimal("0.01"))
        if value >= Decimal("1e12"):
            self._problem(row, "deal.value", str(deal.value), _("too large for a deal's value"))
            return None
        created_at = _moment(deal.created_on) or self.now
        closed_at = None
        if status != DealStatus.OPEN:
            day = (deal.won_on if status == DealStatus.WON else deal.lost_on) or deal.closed_on
            closed_at = _moment(day or deal.expected_close_date) or self.now
            closed_at = max(closed_at, created_at)
        return _DealPlan(
            deal=deal,
            pipeline=pipeline,
            stage=stage,
            entered=entered,
            status=status,
            owner_id=owner_id,
            currency=currency,
            value=value,
            base_value=to_base(value, rate_to_base=rate),
            created_at=created_at,
            closed_at=closed_at,
            lost_reason=(deal.lost_reason or IMPORTED_WITHOUT_REASON) if status == DealStatus.LOST else "",
        )

    def _check_activity(
        self, row: ParsedRow, external_deals: dict[str, int], batch_deal_ids: set[str]
    ) -> None:
        activity = row.activity
        assert activity is not None
        reference = activity.deal_external_id
        if reference and reference not in external_deals and reference not in batch_deal_ids:
            self._problem(
                row,
                "activity.deal_external_id",
                reference,
                _("no deal with this id was imported from %(source)s; import the deals first")
                % {"source": self.source},
            )
        if not activity.owner and row.deal is None and not reference and self.default_owner_id is None:
            self._problem(row, "activity.owner", "", _("the row names no owner; give one with --owner"))
        if activity.owner and self._user(activity.owner) is None:
            self._unmatched("owner", activity.owner)
            self._problem(
                row,
                "activity.owner",
                activity.owner,
                _(
                    "no active user with this username, email or "
                    "name; add them, or map the value under [owners]"
                ),
            )

    # --- external ids ----------------------------------------------------------------------------------

    def _external(self, entity: Entity, ids: Iterable[str]) -> dict[str, int]:
        wanted = [value for value in set(ids) if value]
        if not wanted:
            return {}
        return dict(
            ExternalRecord.objects.filter(
                entity=entity.value, source=self.source, external_id__any_of=wanted
            ).values_list("external_id", "record_id")
        )

    def _remember(self, entity: Entity, pairs: list[tuple[str, _Ref]], known: dict[str, int]) -> None:
        """Record new external ids (and point ones whose record was deleted at its successor)."""
        fresh: dict[str, int] = {}
        moved: list[tuple[int, str]] = []
        for external_id, ref in pairs:
            if external_id in known:
                if known[external_id] != ref.id:
                    moved.append((ref.id, external_id))
            else:
                fresh[external_id] = ref.id
        if fresh:
            spec = table_spec(ExternalRecord, ("id", "entity", "source", "external_id", "record_id"))
            ids = allocate_ids(connection, ExternalRecord, len(fresh))
            self.writer.write(
                spec,
                [
                    (pk, entity.value, self.source, ext, record)
                    for pk, (ext, record) in zip(ids, fresh.items(), strict=True)
                ],
            )
        if moved:
            with connection.cursor() as cursor:
                cursor.executemany(
                    "UPDATE imports_externalrecord SET record_id = %s WHERE entity = %s AND source = %s "
                    "AND external_id = %s",
                    [(record, entity.value, self.source, ext) for record, ext in moved],
                )

    def _count(self, entity: Entity, ref: _Ref, changed: bool) -> None:
        tally = self.totals.tallies[entity.value]
        if ref.new:  # counted once: later rows find it by its keys, and later batches as counted
            tally.created += 1
            return
        seen = self.counted[entity]
        if ref.id in seen:
            return
        seen.add(ref.id)
        if changed:
            tally.updated += 1
        else:
            tally.unchanged += 1

    def _insert(
        self,
        model: type[Any],
        columns: tuple[str, ...],
        refs: list[_Ref],
        rows: list[list[Any]],
        entity: Entity | None = None,
    ) -> None:
        if not refs:
            return
        for ref, pk in zip(refs, allocate_ids(connection, model, len(refs)), strict=True):
            ref.id = pk
        if entity is not None:
            self.counted[entity].update(ref.id for ref in refs)
        spec: TableSpec = table_spec(model, ("id", *columns))
        self.writer.write(spec, [(ref.id, *values) for ref, values in zip(refs, rows, strict=True)])

    def _update(self, model: type[Any], columns: Sequence[str], changes: dict[int, dict[str, Any]]) -> None:
        if not changes:
            return
        quote = connection.ops.quote_name
        table = model._meta.db_table
        assignments = ", ".join(f"{quote(model._meta.get_field(name).column)} = %s" for name in columns)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {quote(table)} SET {assignments} WHERE id = %s",  # noqa: S608 - names from the model
                [[values[name] for name in columns] + [pk] for pk, values in changes.items()],
            )

    def _time(self, value: dt.datetime | None) -> Any:
        """A time as the database driver takes it; imported times repeat (noon of a day), so each is
        adapted once."""
        if value is None:
            return None
        adapted = self._times.get(value)
        if adapted is None:
            adapted = self._times[value] = self.adapt_time(value)
        return adapted

    # --- organizations ---------------------------------------------------------------------------------

    def _organizations(self, rows: list[ParsedRow]) -> dict[int, _Ref]:
        given = [(index, row.organization) for index, row in enumerate(rows) if row.organization is not None]
        if not given:
            return {}
        by_external = self._external(Entity.ORGANIZATION, (o.external_id for _, o in given))
        names = {fold(o.name) for _, o in given if o.name}
        domains = {o.domain for _, o in given if o.domain}
        existing, refs_by_id, by_ext = _found(
            Organization.objects.filter(
                Q(pk__any_of=list(by_external.values()))
                | Q(search_name__any_of=list(names))
                | Q(domain__any_of=list(domains))
            ).values("id", "name", "search_name", *_ORGANIZATION_COLUMNS),
            by_external,
        )
        by_name = {values["search_name"]: refs_by_id[pk] for pk, values in existing.items()}
        by_domain: dict[str, _Ref] = {}
        for pk, values in sorted(existing.items()):
            if values["domain"]:
                by_domain.setdefault(values["domain"], refs_by_id[pk])
        new_refs: list[_Ref] = []
        new_rows: list[list[Any]] = []
        changes: dict[int, dict[str, Any]] = {}
        result: dict[int, _Ref] = {}
        external_pairs: list[tuple[str, _Ref]] = []
        now = self._time(self.now)
        for index, organization in given:
            search_name = fold(organization.name)
            by_id = by_ext.get(organization.external_id) if organization.external_id else None
            ref = (
                by_id
                or (by_name.get(search_name) if search_name else None)
                or (by_domain.get(organization.domain) if organization.domain else None)
            )
            if ref is None:
                ref = _Ref(new=True)
                new_refs.append(ref)
                name = organization.name or organization.domain or organization.external_id
                search_name = search_name or fold(name)
                new_rows.append(
                    [
                        name,
                        search_name,
                        organization.website,
                        organization.domain,
                        organization.phone,
                        organization.address,
                        organization.city,
                        organization.country,
                        organization.industry,
                        "",
                        self.actor_id,
                        now,
                        now,
                    ]
                )
                self._count(Entity.ORGANIZATION, ref, changed=False)
            elif not ref.new:
                current = changes.get(ref.id) or dict(existing[ref.id])
                if self._merge_organization(current, organization, by_name, ref, renamed=by_id is ref):
                    changes[ref.id] = current
                self._count(Entity.ORGANIZATION, ref, changed=ref.id in changes)
            if search_name:
                by_name.setdefault(search_name, ref)
            if organization.domain:
                by_domain.setdefault(organization.domain, ref)
            if organization.external_id:
                by_ext.setdefault(organization.external_id, ref)
                external_pairs.append((organization.external_id, ref))
            result[index] = ref
        self._insert(
            Organization,
            (
                "name",
                "search_name",
                "website",
                "domain",
                "phone",
                "address",
                "city",
                "country",
                "industry",
                "size",
                "created_by",
                "created_at",
                "updated_at",
            ),
            new_refs,
            new_rows,
            Entity.ORGANIZATION,
        )
        for values in changes.values():
            values["updated_at"] = now
        self._update(Organization, ("name", "search_name", *_ORGANIZATION_COLUMNS, "updated_at"), changes)
        self._remember(Entity.ORGANIZATION, external_pairs, by_external)
        return result

    @staticmethod
    def _merge_organization(
        current: dict[str, Any],
        organization: OrganizationIn,
        by_name: dict[str, _Ref],
        ref: _Ref,
        *,
        renamed: bool,
    ) -> bool:
        """The file's non-empty values over the organization's. Its name changes only when it was found by
        its id in the other system (renamed there), and no other organization has the new name; found by
        name or website, the file's name is just another way of writing it."""
        changed = False
        search_name = fold(organization.name)
        if (
            renamed
            and organization.name
            and search_name != current["search_name"]
            and by_name.get(search_name, ref) is ref
        ):
            current["name"], current["search_name"] = organization.name, search_name
            changed = True
        for column in _ORGANIZATION_COLUMNS:
            value = getattr(organization, column)
            if column == "website" and organization.domain == current["domain"]:
                continue  # the same site, written another way
            if value and value != current[column]:
                current[column] = value
                changed = True
        return changed

    # --- people ----------------------------------------------------------------------------------------

    def _people(self, rows: list[ParsedRow], organizations: dict[int, _Ref]) -> dict[int, _Ref]:
        given = [(index, row.person) for index, row in enumerate(rows) if row.person is not None]
        if not given:
            return {}
        by_external = self._external(Entity.PERSON, (p.external_id for _, p in given))
        emails = {p.email for _, p in given if p.email}
        names = {fold(f"{p.first_name} {p.last_name}") for _, p in given}
        existing, refs_by_id, by_ext = _found(
            Person.objects.filter(
                Q(pk__any_of=list(by_external.values()))
                | Q(email__any_of=list(emails))
                | Q(search_name__any_of=list(names))
            ).values("id", "search_name", "organization", *_PERSON_COLUMNS),
            by_external,
        )
        by_email: dict[str, _Ref] = {}
        by_name: dict[tuple[str, object], _Ref] = {}
        for pk, values in sorted(existing.items()):
            if values["email"]:
                by_email.setdefault(values["email"].lower(), refs_by_id[pk])
            by_name.setdefault((values["search_name"], values["organization"]), refs_by_id[pk])
        new_refs: list[_Ref] = []
        new_rows: list[list[Any]] = []
        changes: dict[int, dict[str, Any]] = {}
        result: dict[int, _Ref] = {}
        external_pairs: list[tuple[str, _Ref]] = []
        now = self._time(self.now)
        for index, person in given:
            organization = organizations.get(index)
            search_name = fold(f"{person.first_name} {person.last_name}")
            name_key = (search_name, _key_of(organization))
            ref = (
                (by_ext.get(person.external_id) if person.external_id else None)
                or (by_email.get(person.email) if person.email else None)
                or by_name.get(name_key)
            )
            if ref is None:
                ref = _Ref(new=True)
                new_refs.append(ref)
                new_rows.append(
                    [
                        organization,
                        person.first_name,
                        person.last_name,
                        search_name,
                        person.email,
                        person.phone,
                        person.job_title,
                        self.actor_id,
                        now,
                        now,
                    ]
                )
                self._count(Entity.PERSON, ref, changed=False)
            elif not ref.new:
                current = changes.get(ref.id) or dict(existing[ref.id])
                changed = False
                for column in _PERSON_COLUMNS:
                    value = getattr(person, column)
                    if value and value != current[column]:
                        current[column], changed = value, True
                current["search_name"] = fold(f"{current['first_name']} {current['last_name']}")
                # The organization the file puts them at; a new one has its id once the batch is written.
                if organization is not None and (
                    organization.new or organization.id != current["organization"]
                ):
                    current["organization"], changed = organization, True
                if changed:
                    changes[ref.id] = current
                self._count(Entity.PERSON, ref, changed=changed)
            if person.email:
                by_email.setdefault(person.email, ref)
            by_name.setdefault(name_key, ref)
            if person.external_id:
                by_ext.setdefault(person.external_id, ref)
                external_pairs.append((person.external_id, ref))
            result[index] = ref
        self._insert(
            Person,
            (
                "organization",
                "first_name",
                "last_name",
                "search_name",
                "email",
                "phone",
                "job_title",
                "created_by",
                "created_at",
                "updated_at",
            ),
            new_refs,
            [[_id_of(values[0]), *values[1:]] for values in new_rows],
            Entity.PERSON,
        )
        for values in changes.values():
            values["organization"] = _id_of(values["organization"])
            values["updated_at"] = now
        self._update(Person, ("organization", "search_name", *_PERSON_COLUMNS, "updated_at"), changes)
        self._remember(Entity.PERSON, external_pairs, by_external)
        return result

    # --- deals -----------------------------------------------------------------------------------------

    def _deals(
        self,
        rows: list[ParsedRow],
        plans: list[_DealPlan | None],
        organizations: dict[int, _Ref],
        people: dict[int, _Ref],
    ) -> dict[int, tuple[_Ref, int]]:
        """The rows' deals → (the deal, its owner)."""
        given = [(index, plan) for index, plan in enumerate(plans) if plan is not None]
        if not given:
            return {}
        by_external = self._external(Entity.DEAL, (plan.deal.external_id for _, plan in given))
        keyed_by_title = "deal.external_id" not in self.mapping.columns
        titles = {fold(plan.deal.title)[:200] for _, plan in given} if keyed_by_title else set()
        organization_ids = {ref.id for ref in organizations.values() if not ref.new}
        found = Q(pk__any_of=list(by_external.values()))
        if titles and organization_ids:
            found |= Q(search_title__any_of=list(titles), organization__any_of=list(organization_ids))
        existing, refs_by_id, by_ext = _found(Deal.objects.filter(found).values(*_DEAL_COLUMNS), by_external)
        by_title: dict[tuple[str, int], _Ref] = {}
        for pk, values in sorted(existing.items()):
            if values["organization"] is not None:
                by_title.setdefault((values["search_title"], values["organization"]), refs_by_id[pk])
        now = self._time(self.now)
        new_refs: list[_Ref] = []
        new_plans: list[tuple[int, _DealPlan]] = []
        changes: dict[int, dict[str, Any]] = {}
        history: list[tuple[_Ref, int | None, int, str, dt.datetime, str]] = []
        # The stays of new deals' changes: (its change's place in `history`, deal, plan, stage, entered,
        # left, went further); a moved deal's are counted afresh from its whole history instead.
        stays: list[tuple[int, _Ref, _DealPlan, int, dt.datetime, dt.datetime | None, bool]] = []
        moved: list[_Ref] = []
        result: dict[int, tuple[_Ref, int]] = {}
        external_pairs: list[tuple[str, _Ref]] = []
        for index, plan in given:
            deal = plan.deal
            organization = organizations.get(index)
            title_key = (
                (fold(deal.title)[:200], organization.id) if organization and not organization.new else None
            )
            ref = (by_ext.get(deal.external_id) if deal.external_id else None) or (
                by_title.get(title_key) if keyed_by_title and title_key else None
            )
            if ref is None:
                ref = _Ref(new=True)
                new_refs.append(ref)
                new_plans.append((index, plan))
                closed_at = plan.closed_at or plan.created_at
                if plan.entered is not None:
                    # Entered its last open stage when created, then closed: both stays are known here.
                    went_further = (
                        plan.stage.kind == StageKind.WON and plan.stage.position > plan.entered.position
                    )
                    stays.append(
                        (len(history), ref, plan, plan.entered.id, plan.created_at, closed_at, went_further)
                    )
                    history.append((ref, None, plan.entered.id, DealStatus.OPEN, plan.created_at, ""))
                    stays.append((len(history), ref, plan, plan.stage.id, closed_at, None, False))
                    history.append(
                        (ref, plan.entered.id, plan.stage.id, plan.status, closed_at, plan.lost_reason)
                    )
                else:
                    stays.append((len(history), ref, plan, plan.stage.id, closed_at, None, False))
                    history.append((ref, None, plan.stage.id, plan.status, closed_at, plan.lost_reason))
                self._count(Entity.DEAL, ref, changed=False)
                if plan.status != DealStatus.OPEN:
                    self.closed_deals_touched = True
            elif not ref.new:
                current = changes.get(ref.id) or dict(existing[ref.id])
                changed = self._merge_deal(
                    current, plan, organizations.get(index), people.get(index), ref, history, moved
                )
                if changed:
                    changes[ref.id] = current
                self._count(Entity.DEAL, ref, changed=changed)
            if deal.external_id:
                by_ext.setdefault(deal.external_id, ref)
                external_pairs.append((deal.external_id, ref))
            result[index] = (
                ref,
                plan.owner_id if ref.new else (changes.get(ref.id) or existing[ref.id])["owner"],
            )
        time = self._time
        new_rows = []
        for index, plan in new_plans:
            organization, person, deal = organizations.get(index), people.get(index), plan.deal
            closed_at = time(plan.closed_at)
            new_rows.append(
                [
                    deal.title,
                    fold(deal.title)[:200],
                    organization.id if organization else None,
                    person.id if person else None,
                    plan.owner_id,
                    plan.pipeline.id,
                    plan.stage.id,
                    plan.status,
                    str(plan.value),
                    plan.currency,
                    str(plan.base_value),
                    self.adapt_date(deal.expected_close_date),
                    deal.probability,
                    deal.source,
                    None,
                    "",
                    None,
                    "",
                    plan.lost_reason,
                    closed_at if plan.status == DealStatus.WON else None,
                    closed_at if plan.status == DealStatus.LOST else None,
                    closed_at or time(plan.created_at),
                    None,
                    None,
                    1,
                    self.actor_id,
                    time(plan.created_at),
                    now,
                ]
            )
        self._insert(Deal, _DEAL_INSERT, new_refs, new_rows, Entity.DEAL)
        for values in changes.values():
            values["updated_at"] = now
            values["version"] += 1
            for column in ("won_at", "lost_at", "stage_entered_at"):
                values[column] = time(values[column])
            for column in ("value", "base_value"):
                values[column] = str(values[column])
            values["expected_close_date"] = self.adapt_date(values["expected_close_date"])
        self._update(Deal, _DEAL_UPDATE, changes)
        if history:
            changes_made = [_Ref(new=True) for _ in history]
            self._insert(
                StageChange,
                ("deal", "from_stage", "to_stage", "to_status", "changed_by", "changed_at", "note"),
                changes_made,
                [
                    [ref.id, from_stage, to_stage, status, self.actor_id, time(at), note]
                    for ref, from_stage, to_stage, status, at, note in history
                ],
            )
            self.writer.write(
                table_spec(
                    StageStay,
                    (
                        "entry",
                        "deal",
                        "owner",
                        "stage",
                        "entered_at",
                        "left_at",
                        "advanced",
                        "previous_entry_at",
                    ),
                ),
                [
                    (
                        changes_made[place].id,
                        ref.id,
                        plan.owner_id,
                        stage,
                        time(entered),
                        time(left),
                        advanced,
                        None,
                    )
                    for place, ref, plan, stage, entered, left, advanced in stays
                ],
            )
        if moved:
            stage_stays_rebuild(deal_ids=sorted({ref.id for ref in moved}))
        self._remember(Entity.DEAL, external_pairs, by_external)
        return result

    def _merge_deal(
        self,
        current: dict[str, Any],
        plan: _DealPlan,
        organization: _Ref | None,
        person: _Ref | None,
        ref: _Ref,
        history: list[tuple[_Ref, int | None, int, str, dt.datetime, str]],
        moved: list[_Ref],
    ) -> bool:
        deal = plan.deal
        wanted: dict[str, Any] = {
            "title": deal.title,
            "search_title": fold(deal.title)[:200],
            "owner": plan.owner_id if deal.owner else current["owner"],
            "pipeline": plan.pipeline.id,
            "stage": plan.stage.id,
            "status": plan.status,
            "currency": plan.currency,
        }
        if deal.value is not None:
            wanted["value"], wanted["base_value"] = plan.value, plan.base_value
        if organization is not None:
            wanted["organization"] = organization.id
        if person is not None:
            wanted["person"] = person.id
        if deal.expected_close_date is not None:
            wanted["expected_close_date"] = deal.expected_close_date
        if deal.probability is not None:
            wanted["probability"] = deal.probability
        if deal.source:
            wanted["source"] = deal.source
        if (current["stage"], current["status"]) != (plan.stage.id, plan.status):
            at = plan.closed_at if plan.status != DealStatus.OPEN else self.now
            assert at is not None
            wanted["stage_entered_at"] = at
            wanted["won_at"] = at if plan.status == DealStatus.WON else None
            wanted["lost_at"] = at if plan.status == DealStatus.LOST else None
            wanted["lost_reason"] = plan.lost_reason
            history.append((ref, current["stage"], plan.stage.id, plan.status, at, plan.lost_reason))
            moved.append(ref)
            if plan.status != DealStatus.OPEN or current["status"] != DealStatus.OPEN:
                self.closed_deals_touched = True
        elif plan.status == DealStatus.LOST and deal.lost_reason:
            wanted["lost_reason"] = deal.lost_reason
        changed = False
        for column, value in wanted.items():
            if current[column] != value:
                current[column] = value
                changed = True
        return changed

    # --- activities ------------------------------------------------------------------------------------

    def _activities(
        self,
        rows: list[ParsedRow],
        named_deals: dict[int, int],
        deals: dict[int, tuple[_Ref, int]],
        organizations: dict[int, _Ref],
        people: dict[int, _Ref],
    ) -> None:
        given = [(index, row.activity) for index, row in enumerate(rows) if row.activity is not None]
        if not given:
            return
        owners_of_named = (
            dict(
                Deal.objects.filter(pk__any_of=list(set(named_deals.values()))).values_list("pk", "owner_id")
            )
            if named_deals
            else {}
        )
        batch_deals = {
            row.deal.external_id: deals[index]
            for index, row in enumerate(rows)
            if row.deal and index in deals
        }
        by_external = self._external(Entity.ACTIVITY, (a.external_id for _, a in given))
        existing, _, by_ext = _found(
            Activity.objects.filter(pk__any_of=list(by_external.values())).values(*_ACTIVITY_COLUMNS),
            by_external,
        )
        time = self._time
        now = time(self.now)
        new_refs: list[_Ref] = []
        new_rows: list[list[Any]] = []
        changes: dict[int, dict[str, Any]] = {}
        deal_ids: set[int] = set()
        external_pairs: list[tuple[str, _Ref]] = []
        for index, activity in given:
            deal_owner: int | None
            if index in deals:
                deal, deal_owner = deals[index]
                deal_id: int | None = deal.id
            elif activity.deal_external_id in batch_deals:
                deal, deal_owner = batch_deals[activity.deal_external_id]
                deal_id = deal.id
            else:
                deal_id = named_deals.get(index)
                deal_owner = owners_of_named.get(deal_id) if deal_id else None
            owner_id = (
                (self._user(activity.owner) if activity.owner else None)
                or deal_owner
                or self.default_owner_id
            )
            due_at = _moment(activity.due_on)
            done_at = _moment(activity.done_on)
            if done_at is None and activity.done:
                done_at = due_at or self.now
            ref = by_ext.get(activity.external_id) if activity.external_id else None
            if ref is None:
                ref = _Ref(new=True)
                new_refs.append(ref)
                new_rows.append(
                    [
                        activity.kind,
                        activity.subject,
                        activity.note,
                        owner_id,
                        deal_id,
                        _id_of(people.get(index)),
                        _id_of(organizations.get(index)),
                        None,
                        time(due_at),
                        None,
                        None,
                        time(done_at),
                        None,
                        "",
                        "",
                        None,
                        None,
                        None,
                        self.actor_id,
                        time(due_at or done_at) or now,
                    ]
                )
                self._count(Entity.ACTIVITY, ref, changed=False)
            elif not ref.new:
                current = changes.get(ref.id) or dict(existing[ref.id])
                wanted: dict[str, Any] = {
                    "kind": activity.kind,
                    "subject": activity.subject,
                    "owner": owner_id,
                }
                if activity.note:
                    wanted["note"] = activity.note
                if due_at is not None:
                    wanted["due_at"] = due_at
                if done_at is not None:
                    wanted["done_at"] = done_at
                changed = False
                for column, value in wanted.items():
                    if current[column] != value:
                        current[column], changed = value, True
                if changed:
                    changes[ref.id] = current
                self._count(Entity.ACTIVITY, ref, changed=changed)
            if deal_id is not None:
                deal_ids.add(deal_id)
            if activity.external_id:
                by_ext.setdefault(activity.external_id, ref)
                external_pairs.append((activity.external_id, ref))
        self._insert(Activity, _ACTIVITY_INSERT, new_refs, new_rows, Entity.ACTIVITY)
        for values in changes.values():
            values["due_at"], values["done_at"] = time(values["due_at"]), time(values["done_at"])
        self._update(Activity, ("kind", "subject", "note", "owner", "due_at", "done_at"), changes)
        deals_refresh_activity_marks(sorted(deal_ids))
        self._remember(Entity.ACTIVITY, external_pairs, by_external)


def _found(
    rows: Iterable[dict[str, Any]], by_external: dict[str, int]
) -> tuple[dict[int, dict[str, Any]], dict[int, _Ref], dict[str, _Ref]]:
    """The records a batch may already be, by id; a reference to each; and the references by the other
    system's ids (those whose record still exists)."""
    existing = {values["id"]: values for values in rows}
    refs_by_id = {pk: _Ref(pk) for pk in existing}
    by_ext = {ext: refs_by_id[pk] for ext, pk in by_external.items() if pk in refs_by_id}
    return existing, refs_by_id, by_ext


def _id_of(ref: _Ref | None) -> int | None:
    return ref.id if ref is not None else None


def _key_of(ref: _Ref | None) -> object:
    """What tells records apart by the organization they are at: its id, or a new one's own identity."""
    if ref is None:
        return None
    return ("new", id(ref)) if ref.new else ref.id


_DEAL_COLUMNS = (
    "id", "title", "search_title", "organization", "person", "owner", "pipeline", "stage", "status",
    "value", "currency", "base_value", "expected_close_date", "probability", "source", "lost_reason",
    "won_at", "lost_at", "stage_entered_at", "version",
)  # fmt: skip
_DEAL_INSERT = (
    "title", "search_title", "organization", "person", "owner", "pipeline", "stage", "status", "value",
    "currency", "base_value", "expected_close_date", "probability", "source", "budget_amount",
    "budget_evidence", "decision_date", "urgency", "lost_reason", "won_at", "lost_at", "stage_entered_at",
    "last_activity_at", "next_activity_at", "version", "created_by", "created_at", "updated_at",
)  # fmt: skip
_DEAL_UPDATE = (
    "title", "search_title", "organization", "person", "owner", "pipeline", "stage", "status", "value",
    "currency", "base_value", "expected_close_date", "probability", "source", "lost_reason", "won_at",
    "lost_at", "stage_entered_at", "version", "updated_at",
)  # fmt: skip
_ACTIVITY_COLUMNS = ("id", "kind", "subject", "note", "owner", "deal", "due_at", "done_at")
_ACTIVITY_INSERT = (
    "kind", "subject", "note", "owner", "deal", "person", "organization", "parent", "due_at",
    "duration_minutes", "ends_at", "done_at", "cancelled_at", "outcome", "purpose", "received_at",
    "response_minutes", "notified_at", "created_by", "created_at",
)  # fmt: skip
