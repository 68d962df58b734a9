"""Privacy rules without I/O: consents, audited exports, merges, and who one person is."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable

from contracts.actor import Actor, Role
from contracts.customers import STAGE_LABELS, ConsentPurpose, NewConsent, Stage
from contracts.errors import Conflict, ValidationFailed
from kit import phones
from kit.privacy import mentions_mobile

# Bulk export and merging are a manager's decision (PIPL Art. 51: least privilege).
MANAGERS = (Role.manager, Role.director, Role.admin)
# Who an erased customer still is: nothing but the statistics' fields.
ERASED_MASK = "***"


def may_export(actor: Actor) -> bool:
    return actor.role in MANAGERS


def may_merge(actor: Actor) -> bool:
    return actor.role in MANAGERS


def check_reason(reason: str, field: str = "reason") -> None:
    """A reason is kept for years in the audit: no phone numbers in it."""
    if mentions_mobile(reason):
        raise ValidationFailed("do not write a phone number into the reason; it is kept in "
                               "the audit", field)


def opt_out_after(consent: NewConsent, opted_out: bool) -> bool:
    """Withdrawing marketing consent opts the customer out (Art. 24); granting it again opts
    them back in. Other purposes leave the marketing opt-out as it is."""
    if consent.purpose != ConsentPurpose.marketing:
        return opted_out
    return not consent.granted


def export_row(customer, reveal: bool, open_phone: Callable[[str], str],
               tags: dict[str, list[str]] | None = None) -> dict:
    """One exported customer: the phone masked unless the exporter holds pii:reveal."""
    tags = tags or {}
    stage = Stage(customer.stage)
    return {
        "id": str(customer.id), "name": customer.name,
        "phone": phones.national(open_phone(customer.phone_enc)) if reveal
        else customer.phone_masked,
        "phone_masked": not reveal, "project_id": str(customer.project_id),
        "owner_id": str(customer.owner_id) if customer.owner_id else None,
        "stage": stage.value, "stage_label": STAGE_LABELS[stage], "channel": customer.channel,
        "completeness": customer.completeness or 0,
        "marketing_opt_out": bool(customer.marketing_opt_out),
        "tags": {k: v for k, v in tags.items() if k}, "free_tags": tags.get("", []),
        "created_at": customer.created_at.isoformat(),
    }


def merge_refusal(survivor, merged) -> Conflict | ValidationFailed | None:
    """Why these two records cannot be merged, or None. Merging the same pair again is not
    refused (it answers the merge already made): see `already_merged`."""
    if survivor.id == merged.id:
        return ValidationFailed("a customer cannot be merged into itself", "merged_id")
    if already_merged(survivor, merged):
        return None
    if survivor.erased_at is not None or merged.erased_at is not None:
        return Conflict("an erased customer cannot be merged",
                        "survivor_id" if survivor.erased_at else "merged_id")
    if merged.merged_into is not None:
        return Conflict(f"this customer was already merged into {merged.merged_into}",
                        "merged_id", {"merged_into": str(merged.merged_into)})
    if survivor.merged_into is not None:
        return Conflict(f"the survivor was itself merged into {survivor.merged_into}; merge "
                        "into that one", "survivor_id",
                        {"merged_into": str(survivor.merged_into)})
    return None


def already_merged(survivor, merged) -> bool:
    return merged.merged_into == survivor.id


def filled_portrait(survivor: dict, merged: dict) -> tuple[dict, list[str]]:
    """The survivor's profile with its gaps filled from the merged record (the survivor's own
    answers win), and which fields were filled."""
    result = dict(survivor or {})
    filled = []
    for key, value in (merged or {}).items():
        if value in (None, "", [], "unknown"):
            continue
        if result.get(key) in (None, "", [], "unknown"):
            result[key] = value
            filled.append(key)
    return result, sorted(filled)


def person_closure(links: dict[uuid.UUID, uuid.UUID | None],
                   seeds: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Every record of one person: the seeds, the survivors they were merged into, and every
    record merged into any of those. `links` maps record id → merged_into for the records
    loaded so far (the caller loads until the closure stops growing)."""
    found = {s for s in seeds if s in links}
    while True:
        grown = set(found)
        grown |= {into for r in found if (into := links.get(r)) is not None and into in links}
        grown |= {r for r, into in links.items() if into in found}
        if grown == found:
            return found
        found = grown


def merge_summary(moved: dict[str, int], filled: list[str], survivor, merged) -> dict:
    return {
        "moved": moved, "portrait_filled": filled,
        "survivor_stage": survivor.stage, "merged_stage": merged.stage,
        "merged_phone": merged.phone_masked,
        "tickets": "service tickets follow in a later issue (the service desk keeps none yet)",
        "tasks": "open tasks move to the survivor (tasks service, on customer.merged)",
        "leads": "leads, rulings and pool history move to the survivor; the merged phone "
                 "now finds the survivor (leads service, on customer.merged)",
    }
