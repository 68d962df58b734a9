"""What the customers service's entrypoint mixins use of one another, typed.

Each helper is defined once, by the class named beside it; CustomersWorker only declares
it (for the type checker: nothing of this exists at run time but the class), so a mixin
that subclasses it may call any of them on `self`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from kit.service import Worker

if TYPE_CHECKING:
    from contracts import customers as c
    from contracts.actor import Actor
    from services.customers import store
    from services.customers.project_setup import ProjectSetup


class CustomersWorker(Worker):
    """Base of CustomersService's mixins."""

    if TYPE_CHECKING:
        # CustomersService (service.py)
        def _visible(self, actor: Actor, customer_id: object,
                     lock: bool = False) -> store.Customer: ...
        def _customer_view(self, customer: store.Customer, actor: Actor,
                           setup: ProjectSetup | None = None,
                           tags: dict[str, Any] | None = None,
                           extra_phones: Sequence[store.CustomerPhone] | None = None,
                           ) -> dict[str, Any]: ...
        def _customer_views(self, customers: Sequence[store.Customer],
                            actor: Actor) -> list[dict[str, Any]]: ...
        # Funnel (funnel_entrypoints.py)
        def _workable(self, token: str,
                      customer_id: object) -> tuple[Actor, store.Customer]: ...
        # Profile (profile_entrypoints.py)
        def _dimensions(self, company_id: uuid.UUID) -> dict[str, c.TagDimension]: ...
        def _tags_of(self, customer_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Any]: ...
        # ProjectSetups (project_setup_entrypoints.py)
        def _setups(self, project_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, ProjectSetup]: ...
        def _setup(self, project_id: uuid.UUID) -> ProjectSetup: ...
        # Segments (segment_entrypoints.py)
        def _segment(self, actor: Actor, segment_id: object) -> store.Segment: ...
        def _stored_filter(self, row: store.Segment) -> c.SegmentFilter: ...
