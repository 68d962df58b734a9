"""contracts.errors.parse_id: the one reading of an id a caller sent."""

import uuid

import pytest

from contracts.errors import ValidationFailed, parse_id


def test_an_id_in_any_form_is_read():
    known = uuid.uuid4()
    assert parse_id(str(known), "task_id") == known
    assert parse_id(str(known).upper(), "task_id") == known
    assert parse_id(known, "task_id") is known


@pytest.mark.parametrize("sent", ["", "42", "not-an-id", None, {"id": 1}, "x" * 1000])
def test_anything_else_is_refused_naming_the_field(sent):
    with pytest.raises(ValidationFailed) as refused:
        parse_id(sent, "segment_id")
    assert refused.value.field == "segment_id" and refused.value.http_status == 422
