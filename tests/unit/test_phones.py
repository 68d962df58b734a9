import pytest

from contracts.errors import ValidationFailed
from kit import phones


@pytest.mark.parametrize("raw", [
    "13800138000", "138 0013 8000", "138-0013-8000", "+86 138 0013 8000", "8613800138000",
    "+8613800138000",
    "１３８００１３８０００", "＋８６１３８００１３８０００",  # full-width, as a Chinese IME types
    "(+86) 138.0013.8000",
])
def test_mobile_numbers_in_every_common_form_normalise_to_one_e164(raw):
    assert phones.normalise(raw) == "+8613800138000"


def test_a_shanghai_landline_is_accepted():
    assert phones.normalise("021-6888 8888") == "+862168888888"


@pytest.mark.parametrize("raw", ["", "   ", "12345", "abc", "1380013800", "138001380001234",
                                 "13800138000x", "138OO138000", "tel:13800138000"])
def test_bad_numbers_are_refused_naming_the_field(raw):
    with pytest.raises(ValidationFailed) as caught:
        phones.normalise(raw, field="phone")
    assert caught.value.field == "phone"


def test_mask_keeps_the_first_three_and_last_four_digits():
    assert phones.mask("+8613800138000") == "138****8000"


def test_national_form_drops_the_country_code():
    assert phones.national("+8613800138000") == "13800138000"
