from collections.abc import Callable
from typing import Any, TypeVar, overload

from nameko.extensions import DependencyProvider, Entrypoint, SharedExtension

_F = TypeVar("_F", bound=Callable[..., Any])

class Rpc(Entrypoint): ...

def get_rpc_exchange(config: dict[str, Any]) -> Any: ...

class RpcConsumer(SharedExtension):
    queue_consumer: Any
    def handle_result(self, message: Any, result: Any, exc_info: Any) -> Any: ...

class Responder:
    publisher_cls: type
    def __init__(self, amqp_uri: str, exchange: Any, serializer: str, message: Any,
                 ssl: Any = None, login_method: Any = None) -> None: ...
    def send_response(self, result: Any, exc_info: Any) -> tuple[Any, Any]: ...

@overload
def rpc(fn: _F) -> _F: ...
@overload
def rpc(
    *, expected_exceptions: type[BaseException] | tuple[type[BaseException], ...] = ...,
    sensitive_arguments: Any = ...,
) -> Callable[[_F], _F]: ...

class RpcProxy(DependencyProvider):
    def __init__(self, target_service: str, **options: Any) -> None: ...
    # On a worker the attribute is the service proxy: any method is a remote call.
    def __get__(self, obj: object, owner: Any = None) -> Any: ...
