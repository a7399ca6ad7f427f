"""Which column is which field, and how the file's values map to Salespipe's: the mapping of one import.

Built from a preset and the file's header, then adjusted by a mapping file (TOML,
docs/import.md#mapping-files) or by the web page's confirmation form. Pure: no database.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from salespipe.core.errors import InvalidInput
from salespipe.imports.fields import FIELDS_BY_KEY, Entity, guessed_field, header_key
from salespipe.imports.presets import PRESET_NAMES, PRESETS

IGNORE = "ignore"  # a mapping file's way to leave out a column the preset or the guess would import


@dataclass
class Mapping:
    preset: str
    source: str
    columns: dict[str, str]  # field key → the file's header
    unmapped: list[str] = field(default_factory=list)  # headers imported as nothing
    # Values of the file (compared by header_key) → Salespipe's names.
    stages: dict[str, str] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    pipelines: dict[str, str] = field(default_factory=dict)
    day_first: bool | None = None
    currency: str | None = None  # the currency of values that do not say theirs; else the base currency

    @property
    def entities(self) -> set[Entity]:
        return {FIELDS_BY_KEY[key].entity for key in self.columns}

    def as_dict(self) -> dict[str, Any]:
        """Plain values, to keep with an import job and to build the same mapping again (`from_dict`)."""
        return {
            "preset": self.preset,
            "source": self.source,
            "columns": dict(self.columns),
            "unmapped": list(self.unmapped),
            "stages": dict(self.stages),
            "owners": dict(self.owners),
            "pipelines": dict(self.pipelines),
            "day_first": self.day_first,
            "currency": self.currency,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mapping:
        return cls(**data)


def _preset(name: str) -> Any:
    if name not in PRESETS:
        raise InvalidInput(
            _("There is no import preset '%(name)s'; use one of: %(names)s.")
            % {"name": name, "names": ", ".join(PRESET_NAMES)},
            fields={"preset": _("unknown")},
        )
    return PRESETS[name]


def mapping_for(header: list[str], *, preset: str) -> Mapping:
    """The preset's mapping of this file's columns (or the generic preset's guesses)."""
    chosen = _preset(preset)
    columns: dict[str, str] = {}
    by_key = {header_key(name): name for name in reversed(header)}  # the first of equal headers
    if chosen.guesses:
        for name in header:
            guess = guessed_field(name, set(columns))
            if guess is not None:
                columns[guess] = name
    else:
        for key, target in chosen.columns.items():
            if key in by_key and target not in columns:
                columns[target] = by_key[key]
    return Mapping(
        preset=chosen.name,
        source=chosen.source,
        columns=columns,
        unmapped=[name for name in header if name not in columns.values()],
        stages=dict(chosen.stages),
    )


def _table(data: dict[str, Any], name: str, path: Path) -> dict[str, str]:
    table = data.get(name, {})
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise InvalidInput(
            _('In %(file)s, [%(table)s] must be a table of names, e.g. "Closed Won" = "Won".')
            % {"file": path.name, "table": name},
            fields={"mapping": _("invalid")},
        )
    return {str(key): value for key, value in table.items()}


def mapping_file_apply(mapping: Mapping, path: Path, *, header: list[str]) -> Mapping:
    """Adjust a mapping by a TOML mapping file; refuses, changing nothing, a file that names a column the
    file lacks or a field that does not exist."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise InvalidInput(
            _("Cannot read the mapping file %(file)s: %(error)s") % {"file": path, "error": error},
            fields={"mapping": _("unreadable")},
        ) from error
    known = {"source", "day_first", "currency", "columns", "stages", "owners", "pipelines"}
    if unknown := sorted(set(data) - known):
        raise InvalidInput(
            _("The mapping file %(file)s has unknown entries %(entries)s; it may have: %(known)s.")
            % {"file": path.name, "entries": ", ".join(unknown), "known": ", ".join(sorted(known))},
            fields={"mapping": _("unknown entries")},
        )
    columns = dict(mapping.columns)
    for name, target in _table(data, "columns", path).items():
        if name not in header:
            raise InvalidInput(
                _(
                    "The mapping file names a column '%(column)s' that the file does not have; its columns "
                    "are: %(columns)s."
                )
                % {"column": name, "columns": ", ".join(header)},
                fields={"mapping": _("unknown column")},
            )
        columns = {key: column for key, column in columns.items() if column != name}
        if target == IGNORE:
            continue
        if target not in FIELDS_BY_KEY:
            raise InvalidInput(
                _(
                    "The mapping file maps '%(column)s' to '%(field)s', which is not a field; see `salespipe "
                    'import --fields` for the list, or use "ignore".'
                )
                % {"column": name, "field": target},
                fields={"mapping": _("unknown field")},
            )
        columns[target] = name
    day_first = data.get("day_first", mapping.day_first)
    if day_first is not None and not isinstance(day_first, bool):
        raise InvalidInput(
            _("In the mapping file, day_first is true (27/11/2026) or false (11/27/2026)."),
            fields={"mapping": _("invalid")},
        )
    source = data.get("source", mapping.source)
    if not isinstance(source, str) or not source.strip() or ":" in source:
        raise InvalidInput(
            _(
                "In the mapping file, source names the system the ids come from, "
                'e.g. "legacy-crm" (no colon).'
            ),
            fields={"mapping": _("invalid")},
        )
    currency = data.get("currency", mapping.currency)
    if currency is not None and not isinstance(currency, str):
        raise InvalidInput(
            _('In the mapping file, currency is a code such as "EUR".'), fields={"mapping": _("invalid")}
        )

    def keyed(name: str, base: dict[str, str]) -> dict[str, str]:
        return base | {header_key(key): value for key, value in _table(data, name, path).items()}

    return Mapping(
        preset=mapping.preset,
        source=source.strip(),
        columns=columns,
        unmapped=[name for name in header if name not in columns.values()],
        stages=keyed("stages", mapping.stages),
        owners=keyed("owners", mapping.owners),
        pipelines=keyed("pipelines", mapping.pipelines),
        day_first=day_first,
        currency=currency.strip().upper() if currency else None,
    )


def mapping_check(mapping: Mapping) -> None:
    """Refuse a mapping that can import nothing or leaves a needed field out."""
    entities = mapping.entities
    if not entities:
        raise InvalidInput(
            _(
                "No column of the file maps to a field, so there is nothing to import. Choose the preset the "
                "file comes from, or map its columns (a mapping file on the command line, the import page's "
                "form)."
            ),
            fields={"mapping": _("empty")},
        )
    needs = {
        Entity.DEAL: ("deal.title",),
        Entity.ORGANIZATION: ("organization.name", "organization.external_id"),
        Entity.PERSON: ("person.name", "person.last_name", "person.email"),
        Entity.ACTIVITY: ("activity.subject", "activity.kind"),
    }
    for entity in sorted(entities):
        if not any(key in mapping.columns for key in needs[entity]):
            raise InvalidInput(
                _("The columns mapped to %(entity)s fields need one of %(fields)s too.")
                % {"entity": entity, "fields": ", ".join(needs[entity])},
                fields={"mapping": _("incomplete")},
            )
