"""The encrypted password is RSA PKCS#1 v1.5 over base64(password|timeStamp) (REFERENCE.md section 5)."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding

from capital_pipeline.capital.encryption import encrypt_password
from capital_pipeline.capital.errors import MalformedResponse
from capital_pipeline_tests.capital.fake_api import private_key


def public_key_text() -> str:
    der = (
        private_key()
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return base64.b64encode(der).decode()


def test_encrypted_password_decrypts_to_base64_of_password_bar_timestamp() -> None:
    encrypted = encrypt_password("1111qqqq", public_key_text(), 1647440528194)
    ciphertext = base64.b64decode(encrypted)
    assert len(ciphertext) == 256  # RSA-2048, as in the docs' sample (344 base64 characters)
    plaintext = private_key().decrypt(ciphertext, padding.PKCS1v15())
    # The docs' worked example: step 3 input for password 1111qqqq and timestamp 1647440528194.
    assert plaintext == b"MTExMXFxcXF8MTY0NzQ0MDUyODE5NA=="


def test_encryption_is_randomized_like_pkcs1_v15() -> None:
    assert encrypt_password("p", public_key_text(), 1) != encrypt_password("p", public_key_text(), 1)


@pytest.mark.parametrize("key", ["not base64 !!", base64.b64encode(b"not a DER key").decode(), ""])
def test_an_unreadable_encryption_key_is_a_malformed_response(key: str) -> None:
    with pytest.raises(MalformedResponse):
        encrypt_password("p", key, 1)
