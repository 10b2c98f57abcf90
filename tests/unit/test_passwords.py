"""The password policy itself (no services needed: a bare Flask app holds the config)."""

import pytest
from flask import Flask

from rero_ils_users.accounts.passwords import generate_password, policy_errors, validate_password
from rero_ils_users.errors import ValidationError


@pytest.fixture()
def config():
    app = Flask(__name__)
    app.config.update(PASSWORD_MIN_LENGTH=8, PASSWORD_REQUIRE_SPECIAL=False)
    with app.app_context():
        yield app.config


def test_each_rule_is_named(config):
    assert policy_errors("Secret123") == []
    assert policy_errors("Sec1") == ["The password must be at least 8 characters long."]
    assert policy_errors("secret123") == ["The password must contain an upper case character."]
    assert policy_errors("SECRET123") == ["The password must contain a lower case character."]
    assert policy_errors("SecretSecret") == ["The password must contain a number."]
    assert policy_errors("Aa1" + "x" * 253) == ["The password must be at most 255 characters long."]
    assert policy_errors(12345678) == ["The password must be a string."]
    assert len(policy_errors("")) == 4


def test_special_character_option(config):
    config["PASSWORD_REQUIRE_SPECIAL"] = True
    assert policy_errors("Secret123") == ["The password must contain a special character."]
    assert policy_errors("Secret 123") == []
    assert policy_errors("Sécret123") == ["The password must contain a special character."]  # é is a letter


def test_validate_password_raises_on_the_field(config):
    with pytest.raises(ValidationError) as info:
        validate_password("weak", field="new_password")
    assert [e.field for e in info.value.errors] == ["new_password"]


@pytest.mark.parametrize("special", [False, True])
def test_generated_passwords_satisfy_the_policy(config, special):
    config["PASSWORD_REQUIRE_SPECIAL"] = special
    passwords = {generate_password(length) for length in (8, 12, 64) for _ in range(30)}
    assert len(passwords) == 90
    assert all(policy_errors(p) == [] for p in passwords)
    with pytest.raises(ValidationError):
        generate_password(7)
    with pytest.raises(ValidationError):
        generate_password(256)
