from collections.abc import Callable
from typing import Any, TypeVar

from nameko.extensions import Entrypoint

_F = TypeVar("_F", bound=Callable[..., Any])

class Timer(Entrypoint): ...

def timer(interval: float, eager: bool = ..., **kwargs: Any) -> Callable[[_F], _F]: ...
