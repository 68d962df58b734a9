from collections.abc import Callable
from typing import Any, TypeVar

from nameko.extensions import DependencyProvider, Entrypoint

_F = TypeVar("_F", bound=Callable[..., Any])

SERVICE_POOL: str
SINGLETON: str
BROADCAST: str

class _QueueConsumer:
    def ack_message(self, message: Any) -> None: ...
    def requeue_message(self, message: Any) -> None: ...

class EventHandler(Entrypoint):
    queue_consumer: _QueueConsumer
    def __init__(self, source_service: str, event_type: str, handler_type: str = ...,
                 reliable_delivery: bool = ..., requeue_on_error: bool = ...,
                 **kwargs: Any) -> None: ...
    def unpack_message_headers(self, message: Any) -> dict[str, Any]: ...
    source_service: str
    event_type: str
    handler_type: str
    reliable_delivery: bool
    requeue_on_error: bool

def event_handler(
    source_service: str, event_type: str, *, handler_type: str = ...,
    reliable_delivery: bool = ..., requeue_on_error: bool = ..., **kwargs: Any
) -> Callable[[_F], _F]: ...

class EventDispatcher(DependencyProvider): ...
