import base64
import os

import pytest
from cryptography.exceptions import InvalidTag

from kit.crypto import Vault, parse_keyring


def key_spec(kid: str) -> str:
    return f"{kid}:{base64.b64encode(os.urandom(32)).decode()}"


def test_encrypt_then_decrypt_returns_the_phone_and_hides_it():
    vault = Vault(parse_keyring(key_spec("k1")), b"index")
    sealed = vault.encrypt("+8613800138000", "phone")
    assert "13800138000" not in sealed
    assert vault.decrypt(sealed, "phone") == "+8613800138000"


def test_the_same_phone_encrypts_differently_each_time_but_indexes_the_same():
    vault = Vault(parse_keyring(key_spec("k1")), b"index")
    assert vault.encrypt("+8613800138000") != vault.encrypt("+8613800138000")
    assert vault.blind_index("+8613800138000") == vault.blind_index("+8613800138000")
    assert vault.blind_index("+8613800138000") != vault.blind_index("+8613900139000")


def test_rotated_keys_still_open_old_ciphertext():
    old = key_spec("k1")
    before = Vault(parse_keyring(old), b"index")
    sealed = before.encrypt("+8613800138000")
    after = Vault(parse_keyring(f"{key_spec('k2')},{old}"), b"index")
    assert after.active_kid == "k2"
    assert after.decrypt(sealed) == "+8613800138000"
    assert after.encrypt("x").split(".")[1] == "k2"


def test_tampered_ciphertext_is_refused():
    vault = Vault(parse_keyring(key_spec("k1")), b"index")
    sealed = vault.encrypt("+8613800138000")
    raw = bytearray(base64.urlsafe_b64decode(sealed.split(".")[2]))
    raw[-1] ^= 1
    forged = f"v1.k1.{base64.urlsafe_b64encode(bytes(raw)).decode()}"
    with pytest.raises(InvalidTag):
        vault.decrypt(forged)


def test_ciphertext_cannot_be_replayed_into_another_field():
    vault = Vault(parse_keyring(key_spec("k1")), b"index")
    with pytest.raises(InvalidTag):
        vault.decrypt(vault.encrypt("+8613800138000", "phone"), "wechat")


@pytest.mark.parametrize("spec", ["", "nokey", "k1:" + base64.b64encode(b"short").decode()])
def test_malformed_key_settings_are_refused(spec):
    with pytest.raises(ValueError):
        parse_keyring(spec)
