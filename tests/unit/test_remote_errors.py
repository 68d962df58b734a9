"""A service's typed error crosses the bus and comes back as the same error, with no field or
details invented on the way (Nameko sends an argument it cannot keep as its str())."""

from contracts.errors import Conflict, ValidationFailed
from kit.rpc_client import remote_exception


def test_a_remote_error_keeps_its_field_and_details():
    error = remote_exception({"exc_path": "contracts.errors.Conflict", "exc_type": "Conflict",
                              "exc_args": ["taken", "phone", {"customer_id": "c1"}]})
    assert isinstance(error, Conflict)
    assert (error.message, error.field, error.details) == ("taken", "phone",
                                                           {"customer_id": "c1"})


def test_absent_details_and_field_stay_absent():
    error = remote_exception({"exc_path": "contracts.errors.ValidationFailed",
                              "exc_type": "ValidationFailed",
                              "exc_args": ["send a JSON object", "None", "None"]})
    assert isinstance(error, ValidationFailed)
    assert error.field is None and error.details is None
    assert "details" not in str(error.to_dict())
