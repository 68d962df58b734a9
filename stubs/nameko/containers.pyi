from collections.abc import Callable
from typing import Any

from nameko.extensions import Entrypoint

class ServiceContainer:
    service_name: str
    service_cls: type
    config: dict[str, Any]
    _died: Any   # an eventlet Event: ready once the container died
    def spawn_worker(
        self, entrypoint: Entrypoint, args: tuple[Any, ...], kwargs: dict[str, Any],
        context_data: Any = None, handle_result: Callable[..., Any] | None = None,
    ) -> WorkerContext: ...
    def spawn_managed_thread(self, fn: Callable[[], Any], identifier: str | None = None) -> Any: ...

class WorkerContext:
    container: ServiceContainer
    service: Any
    entrypoint: Entrypoint
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    data: dict[str, Any]
    context_data: dict[str, Any]
    call_id: str
