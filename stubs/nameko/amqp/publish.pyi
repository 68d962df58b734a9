from typing import Any

class Publisher:
    use_confirms: bool
    delivery_mode: int
    def __init__(self, amqp_uri: str, **options: Any) -> None: ...
    def publish(self, payload: Any, **kwargs: Any) -> None: ...
