"""The encrypted login's password transform (REFERENCE.md section 5).

RSA PKCS#1 v1.5 over base64(password + "|" + timeStamp) with the key of ``GET /session/encryptionKey``
(base64 DER SubjectPublicKeyInfo); the result is sent base64-encoded with ``"encryptedPassword": true``.
The docs' mention of AES is a documentation error: every official sample uses RSA.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from capital_pipeline.capital.errors import MalformedResponse

__all__ = ["encrypt_password"]


def encrypt_password(password: str, encryption_key: str, timestamp_ms: int) -> str:
    """The ``password`` field of an encrypted ``POST /session``.

    Raises ``MalformedResponse`` when ``encryption_key`` is not a base64 DER RSA public key.
    """
    try:
        public_key = load_der_public_key(base64.b64decode(encryption_key, validate=True))
    except (ValueError, binascii.Error, TypeError) as error:
        raise MalformedResponse("the encryption key is not a base64 DER public key") from error
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise MalformedResponse("the encryption key is not an RSA key")
    # The base64 text of "password|timeStamp" is what gets encrypted, not the raw bytes (section 5, step 3).
    plaintext = base64.b64encode(f"{password}|{timestamp_ms}".encode())
    ciphertext = public_key.encrypt(plaintext, padding.PKCS1v15())
    return base64.b64encode(ciphertext).decode("ascii")
