from collections.abc import Callable
from typing import Any, TypeVar, overload

from nameko.extensions import DependencyProvider, Entrypoint

_F = TypeVar("_F", bound=Callable[..., Any])

class Rpc(Entrypoint): ...

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
