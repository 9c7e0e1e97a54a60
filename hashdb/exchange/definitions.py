"""List definitions and the label vocabulary in a JSONL exchange file.

An entry line alone cannot reproduce a list: its action (block, review, allow...), per
algorithm thresholds, owner, sharing, review radius and video rule live on the list, and its
labels must be in the receiving vocabulary. A JSONL export therefore starts with one line per
vocabulary term and one per list, told apart from entry lines by a ``record`` key::

    {"record": "vocabulary", "label": "type:execution", "description": "..."}
    {"record": "list", "name": "gifct-shared", "action": "block", "thresholds": {...}, ...}

Importing applies them before the entries, in the same transaction: missing terms are added,
missing lists are created as defined, and a list whose definition changed is updated to it
(so ``--since`` sync carries settings changes too). Every change is audited.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from hashdb.errors import HashDBError, ListNotFound
from hashdb.exchange.records import BadRow
from hashdb.store import Store
from hashdb.store.models import (
    HashList,
    ListAction,
    ListSettings,
    MatchingMode,
    NewList,
    Sharing,
    VideoRule,
    normalise_labels,
    validate_thresholds,
)
from hashdb.store.models.text import check_list_name

_Choice = TypeVar("_Choice", ListAction, Sharing, MatchingMode)

#: The key that marks a definition line; entry lines do not have it.
RECORD_KEY = "record"
LIST = "list"
VOCABULARY = "vocabulary"


@dataclass(frozen=True, slots=True)
class ListDefinition:
    name: str
    description: str
    action: ListAction
    thresholds: dict[str, int]
    owner: str | None
    sharing: Sharing
    review_radius: dict[str, int]
    video_rule: VideoRule | None
    #: None when the file does not say (written before lists had modes): a new list gets the
    #: default, an existing one keeps its own.
    matching_mode: MatchingMode | None = None

    def to_record(self) -> dict[str, Any]:
        return {
            RECORD_KEY: LIST,
            "name": self.name,
            "description": self.description,
            "action": self.action.value,
            "thresholds": dict(self.thresholds),
            "matching_mode": None if self.matching_mode is None else self.matching_mode.value,
            "owner": self.owner,
            "sharing": self.sharing.value,
            "review_radius": dict(self.review_radius),
            "video_rule": None
            if self.video_rule is None
            else {
                "min_query_share": self.video_rule.min_query_share,
                "min_reference_share": self.video_rule.min_reference_share,
            },
        }


@dataclass(frozen=True, slots=True)
class VocabularyDefinition:
    label: str
    description: str


@dataclass
class DefinitionCounts:
    lists_created: list[str] = field(default_factory=list)
    lists_updated: list[str] = field(default_factory=list)
    vocabulary_added: list[str] = field(default_factory=list)


def is_definition(record: Mapping[str, Any]) -> bool:
    return RECORD_KEY in record


def definition_records(store: Store, list_ids: Sequence[int] | None) -> Iterator[dict[str, Any]]:
    """The vocabulary, then the definition of each exported list, as JSONL records."""
    for term in store.vocabulary():
        yield {RECORD_KEY: VOCABULARY, "label": term.label, "description": term.description}
    wanted = None if list_ids is None else set(list_ids)
    settings = store.all_list_settings()
    rules = store.video_rules()
    for hash_list in store.lists():
        if wanted is None or hash_list.id in wanted:
            yield _definition(
                hash_list,
                settings.get(hash_list.id, ListSettings(hash_list.id)),
                rules.get(hash_list.id),
            ).to_record()


def _definition(
    hash_list: HashList, settings: ListSettings, rule: VideoRule | None
) -> ListDefinition:
    return ListDefinition(
        name=hash_list.name,
        description=hash_list.description,
        action=hash_list.action,
        thresholds=dict(hash_list.thresholds),
        owner=settings.owner,
        sharing=settings.sharing,
        review_radius=dict(settings.review_radius),
        video_rule=rule,
        matching_mode=hash_list.matching_mode,
    )


def parse_definition(record: Mapping[str, Any]) -> ListDefinition | VocabularyDefinition:
    """One definition line, validated; raises :class:`BadRow`."""
    kind = record.get(RECORD_KEY)
    if kind == VOCABULARY:
        _only(record, {RECORD_KEY, "label", "description"})
        label = record.get("label")
        if not isinstance(label, str):
            raise BadRow("a vocabulary record needs a label FACET:VALUE")
        try:
            (normalised,) = normalise_labels([label])
        except HashDBError as exc:
            raise BadRow(exc.message) from None
        return VocabularyDefinition(normalised, _text(record, "description"))
    if kind == LIST:
        _only(
            record,
            {
                RECORD_KEY,
                "name",
                "description",
                "action",
                "thresholds",
                "matching_mode",
                "owner",
                "sharing",
                "review_radius",
                "video_rule",
            },
        )
        name = record.get("name")
        if not isinstance(name, str) or not name.strip():
            raise BadRow("a list record needs a name")
        try:
            check_list_name(name.strip())
        except HashDBError as error:
            raise BadRow(error.message) from None
        action = _choice(ListAction, record.get("action", ListAction.BLOCK.value), "action", name)
        sharing = _choice(
            Sharing, record.get("sharing", Sharing.SHARED_READ.value), "sharing", name
        )
        mode = record.get("matching_mode")
        matching_mode = None if mode is None else _choice(MatchingMode, mode, "matching_mode", name)
        owner = record.get("owner")
        if owner is not None and (not isinstance(owner, str) or not owner.strip()):
            raise BadRow(f"list {name!r}: owner must be an organisation name or null")
        return ListDefinition(
            name=name.strip(),
            description=_text(record, "description"),
            action=action,
            thresholds=_thresholds(record, name),
            owner=owner,
            sharing=sharing,
            review_radius=_radii(record, "review_radius", name),
            video_rule=_video_rule(record.get("video_rule"), name),
            matching_mode=matching_mode,
        )
    raise BadRow(f"unknown record kind {kind!r}; known: {LIST}, {VOCABULARY} (or an entry)")


def _choice(kind: type[_Choice], value: Any, key: str, name: str) -> _Choice:
    try:
        return kind(value)
    except ValueError:
        known = ", ".join(member.value for member in kind)
        raise BadRow(f"list {name!r}: {key} {value!r} is not one of {known}") from None


def _only(record: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(key for key in record if key not in allowed)
    if unknown:
        raise BadRow(f"unknown field(s) {', '.join(unknown)} in a {record[RECORD_KEY]} record")


def _text(record: Mapping[str, Any], key: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRow(f"{key} must be text")
    return value


def _radii(record: Mapping[str, Any], key: str, name: str) -> dict[str, int]:
    value = record.get(key) or {}
    if not isinstance(value, dict) or not all(
        isinstance(algorithm, str) and isinstance(bits, int) and not isinstance(bits, bool)
        for algorithm, bits in value.items()
    ):
        raise BadRow(f"list {name!r}: {key} must map algorithm names to whole numbers of bits")
    return dict(value)


def _thresholds(record: Mapping[str, Any], name: str) -> dict[str, int]:
    try:
        return validate_thresholds(_radii(record, "thresholds", name))
    except HashDBError as exc:
        raise BadRow(f"list {name!r}: {exc.message}") from None


def _video_rule(value: Any, name: str) -> VideoRule | None:
    if value is None:
        return None
    try:
        rule = VideoRule(float(value["min_query_share"]), float(value["min_reference_share"]))
    except (TypeError, KeyError, ValueError):
        raise BadRow(
            f"list {name!r}: video_rule needs min_query_share and min_reference_share"
        ) from None
    if not all(0.0 <= share <= 1.0 for share in (rule.min_query_share, rule.min_reference_share)):
        raise BadRow(f"list {name!r}: video_rule shares are between 0 and 1")
    return rule


def apply_definitions(
    store: Store,
    lists: Sequence[ListDefinition],
    vocabulary: Sequence[VocabularyDefinition],
    *,
    actor: str,
) -> DefinitionCounts:
    """Bring the vocabulary and lists in line with the file; call inside a transaction."""
    counts = DefinitionCounts()
    known = {term.label for term in store.vocabulary()}
    for term in vocabulary:
        if term.label not in known:
            facet, value = term.label.split(":", 1)
            store.add_vocabulary(facet, [value], term.description)
            known.add(term.label)
            counts.vocabulary_added.append(term.label)
    if counts.vocabulary_added:
        store.record_audit(
            actor, "labels.add", "vocabulary", None, None, {"labels": counts.vocabulary_added}
        )
    if lists:
        settings, rules = store.all_list_settings(), store.video_rules()
        for definition in lists:
            _apply_list(store, definition, actor, counts, settings, rules)
    return counts


def _apply_list(
    store: Store,
    wanted: ListDefinition,
    actor: str,
    counts: DefinitionCounts,
    settings: dict[int, ListSettings],
    rules: dict[int, VideoRule],
) -> None:
    """Create or update one list; ``settings`` and ``rules`` are read once per import and
    kept current here."""
    try:
        hash_list: HashList | None = store.get_list(wanted.name)
    except ListNotFound:
        hash_list = None
    if wanted.owner is not None:
        store.ensure_organisation(wanted.owner)
    if hash_list is None:
        hash_list = store.create_list(
            NewList(
                wanted.name,
                wanted.description,
                wanted.action,
                wanted.thresholds,
                wanted.matching_mode or MatchingMode.ROBUST,
            )
        )
        before = None
        counts.lists_created.append(wanted.name)
    else:
        current = _definition(
            hash_list,
            settings.get(hash_list.id, ListSettings(hash_list.id)),
            rules.get(hash_list.id),
        )
        if wanted.video_rule is None:  # the file has no video rule: keep the one here
            current = replace(current, video_rule=None)
        if wanted.matching_mode is None:  # nor a matching mode: keep this list's
            current = replace(current, matching_mode=None)
        if current == wanted:
            return
        before = current.to_record()
        mode = wanted.matching_mode or hash_list.matching_mode
        if (
            hash_list.description,
            hash_list.action,
            hash_list.thresholds,
            hash_list.matching_mode,
        ) != (wanted.description, wanted.action, wanted.thresholds, mode):
            hash_list = store.update_list(
                wanted.name,
                description=wanted.description,
                action=wanted.action,
                thresholds=wanted.thresholds,
                matching_mode=mode,
            )
        counts.lists_updated.append(wanted.name)
    settings[hash_list.id] = store.save_list_settings(
        ListSettings(
            hash_list.id,
            wanted.owner,
            wanted.sharing,
            dict(wanted.review_radius),
            # Whether a list keeps thumbnails is this deployment's choice: never exchanged.
            settings.get(hash_list.id, ListSettings(hash_list.id)).keep_thumbnails,
        )
    )
    if wanted.video_rule is not None:
        store.set_video_rule(hash_list.id, wanted.video_rule)
        rules[hash_list.id] = wanted.video_rule
    after = {**hash_list.to_dict(), **wanted.to_record()}
    after["matching_mode"] = hash_list.matching_mode.value
    del after[RECORD_KEY]
    store.record_audit(
        actor,
        "list.import" if before is None else "list.update",
        "list",
        wanted.name,
        before,
        after,
        list_id=hash_list.id,
    )
