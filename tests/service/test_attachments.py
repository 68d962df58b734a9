"""Follow-up attachments: checked by content, stored, read back only within scope."""

import base64

import pytest

from contracts.errors import NotFound, ValidationFailed
from tests.service.conftest import call

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 128


def upload(data: bytes, **extra) -> dict:
    return {"filename": "带看现场.png", "content_type": "image/png",
            "content_b64": base64.b64encode(data).decode(), **extra}


def test_a_viewing_photo_is_kept_with_its_follow_up_and_read_back(customer_desk, world):
    container, customer = customer_desk
    followup = call(container, "log_followup", world.token("a"), customer,
                    {"type": "viewing", "content": "带看 3-1-1201", "units": ["3-1-1201"]})
    stored = call(container, "attach", world.token("a"), customer,
                  upload(PNG, followup_id=followup["id"]))
    assert stored["content_type"] == "image/png" and stored["size"] == len(PNG)
    listed = call(container, "attachments", world.token("mgr"), customer)["items"]
    assert [a["id"] for a in listed] == [stored["id"]]
    back = call(container, "attachment", world.token("mgr"), stored["id"])
    assert base64.b64decode(back["content_b64"]) == PNG


def test_a_disguised_file_is_refused_and_others_cannot_read(customer_desk, world):
    container, customer = customer_desk
    with pytest.raises(ValidationFailed) as refused:
        call(container, "attach", world.token("a"), customer, upload(b"MZ" + b"\x00" * 100))
    assert refused.value.field == "file"
    stored = call(container, "attach", world.token("a"), customer, upload(PNG))
    with pytest.raises(NotFound):
        call(container, "attachment", world.token("b"), stored["id"])
    with pytest.raises(NotFound):
        call(container, "attach", world.token("b"), customer, upload(PNG))
