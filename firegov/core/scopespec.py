"""How a model is scoped to a user's jurisdiction (read by firegov.core.scoping.scope)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScopeSpec:
    region_field: str
    sector_field: str | None = None
    manager_field: str | None = None
    # Rows of the regions above the user's are visible too (plans issued by the city apply to its
    # counties), besides those of the user's own subtree.
    with_ancestors: bool = False
    # For department officers: the rows whose field (a foreign key or many-to-many to Agency) is the
    # officer's agency, instead of the rows of the officer's sector.
    agency_fields: tuple[str, ...] = ()
