"""The password policy: one pure function, stated in its module."""

import pytest

from services.directory import password_policy
from services.directory.password_policy import problem


def test_a_long_password_of_letters_and_digits_passes():
    assert problem("Lantern7harbour", "hz.chen") is None
    assert problem("滨江壹号2026春季开盘", "hz.chen") is None   # Chinese letters count


@pytest.mark.parametrize("password", ["Abc12345", "short1x", "a1" * 4 + "b"])
def test_fewer_than_ten_characters_are_refused(password):
    assert "10" in problem(password, "hz.chen")


@pytest.mark.parametrize("password", ["onlyletterspassword", "12345678901234", "!!!!@@@@####"])
def test_letters_and_digits_both_are_needed(password):
    assert "letters and digits" in problem(password, "hz.chen")


@pytest.mark.parametrize("password", ["hz.chen2026spring", "HZ.CHEN-2026-x", "my1HZ.Chen"])
def test_a_password_containing_the_username_is_refused(password):
    assert "username" in problem(password, "hz.chen")


@pytest.mark.parametrize("password", ["password123", "Qwerty123456", "WOAINI1314",
                                      "a123456789", "1q2w3e4r5t", "zhang123456"])
def test_common_passwords_are_refused_whatever_their_case(password):
    assert "common" in problem(password, "somebody")


def test_the_shipped_list_is_a_few_hundred_passwords_that_would_otherwise_pass():
    common = password_policy.common_passwords()
    assert 300 <= len(common) <= 2000
    # Every entry is one the other rules let through: the list is what adds to them.
    assert all(len(p) >= password_policy.MIN_LENGTH and any(c.isalpha() for c in p)
               and any(c.isdigit() for c in p) for p in common)


def test_over_256_characters_are_refused():
    assert problem("a1" * 129, "x") is not None
