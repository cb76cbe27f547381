"""Token encryption: key from config or environment, rotation, and clear errors."""

import pytest

from calsync.crypto import ENV_VAR, TokenCipher, generate_key
from calsync.errors import ConfigurationError, CryptoError

SECRET = "1//refresh-token-sandbox-unique-3f9a"


def test_round_trip_and_no_plaintext_in_ciphertext():
    cipher = TokenCipher.from_keys([generate_key()])
    blob = cipher.encrypt(SECRET)
    assert SECRET not in blob and "refresh" not in blob
    assert cipher.decrypt(blob) == SECRET
    assert cipher.encrypt(SECRET) != blob  # fresh IV each time


def test_key_from_config_wins_over_environment():
    config_key, env_key = generate_key(), generate_key()
    blob = TokenCipher.from_keys([config_key]).encrypt(SECRET)
    assert TokenCipher.from_config(config_key, env={ENV_VAR: env_key}).decrypt(blob) == SECRET
    assert TokenCipher.from_config(None, env={ENV_VAR: config_key}).decrypt(blob) == SECRET


def test_missing_or_malformed_key_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="No encryption key"):
        TokenCipher.from_config(None, env={})
    with pytest.raises(ConfigurationError, match="not a valid Fernet key"):
        TokenCipher.from_config("not-a-key", env={})


def test_wrong_key_raises_and_never_returns_ciphertext():
    blob = TokenCipher.from_keys([generate_key()]).encrypt(SECRET)
    with pytest.raises(CryptoError, match="cannot be decrypted"):
        TokenCipher.from_keys([generate_key()]).decrypt(blob)
    with pytest.raises(CryptoError):
        TokenCipher.from_keys([generate_key()]).decrypt("plaintext-that-was-never-encrypted")


def test_rotation_old_keys_decrypt_new_key_encrypts():
    old, new = generate_key(), generate_key()
    old_blob = TokenCipher.from_keys([old]).encrypt(SECRET)
    rotating = TokenCipher.from_config(f"{new},{old}", env={})
    assert rotating.decrypt(old_blob) == SECRET
    rotated = rotating.reencrypt(old_blob)
    assert TokenCipher.from_keys([new]).decrypt(rotated) == SECRET
    with pytest.raises(CryptoError):
        TokenCipher.from_keys([old]).decrypt(rotated)
    # once every secret is re-encrypted the old key can go
    assert TokenCipher.from_keys([new]).decrypt(rotating.encrypt(SECRET)) == SECRET
