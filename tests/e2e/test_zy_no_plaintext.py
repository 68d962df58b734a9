"""Runs after the other e2e tests and before the shutdown (by name): every phone number the
suite stored sits encrypted. Scan every text, JSON and bytea column of every schema of the
session's database for anything that reads as a Chinese mobile number, in any writing."""

import pytest

from tests import privacy_scan

pytestmark = pytest.mark.e2e

# Columns that hold no customer data and may look like numbers to the pattern: none so far.
NOT_PHONES: tuple[str, ...] = ()


def test_no_phone_number_is_stored_in_plain_text(suite, engine):
    with engine.connect() as conn:
        found = privacy_scan.any_mobile(conn, exclude=NOT_PHONES)
    assert found == {}, f"phone numbers in plain text: {found}"
