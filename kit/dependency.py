"""Nameko dependencies, typed: what a provider injects is what its attribute is on a worker.

Nameko replaces a service class's `db = Database()` with `get_dependency()`'s result on each
worker instance, so inside an entrypoint `self.db` is a Session, not a Database. `Provides[T]`
says so to the type checker (a `__get__` that exists only for it); at run time it is a plain
DependencyProvider."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, overload

from nameko.extensions import DependencyProvider

if TYPE_CHECKING:
    from nameko.containers import WorkerContext

T = TypeVar("T")


class Provides(DependencyProvider, Generic[T]):
    """A DependencyProvider whose attribute, on a worker, is a T."""

    if TYPE_CHECKING:
        @overload
        def __get__(self, obj: None, owner: Any = None) -> Self: ...
        @overload
        def __get__(self, obj: object, owner: Any = None) -> T: ...
        def __get__(self, obj: object, owner: Any = None) -> Self | T: ...

        def get_dependency(self, worker_ctx: WorkerContext) -> T: ...
