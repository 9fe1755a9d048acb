"""Token encryption: one HKDF-derived key per purpose, versioned, and old tokens sealed again on upgrade."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select

from core.config import Settings
from core.db import Database, alembic_config, upgrade
from core.keys import Purpose, Sealer, derive
from core.models import Account, Member, OAuthState, Workspace, utcnow
from core.publish.tokens import load_tokens
from tests.conftest import make_settings

TOKENS = {"access_token": "ya29.access", "refresh_token": "1//refresh", "expires_at": 1_900_000_000.0}


def old_fernet(settings: Settings) -> Fernet:
    """How tokens were encrypted before key versions: Fernet keyed by SECRET_KEY's SHA-256, or the file."""
    if settings.secret_key:
        return Fernet(base64.urlsafe_b64encode(hashlib.sha256(
            settings.secret_key.get_secret_value().encode()).digest()))
    return Fernet(settings.secret_material())


def key_revision(settings: Settings) -> str:
    script = ScriptDirectory.from_config(alembic_config(settings))
    return next(rev.revision for rev in script.walk_revisions() if "token_keys" in rev.path)


def stored_the_old_way(settings: Settings) -> tuple[int, int]:
    """An account and a pending OAuth state whose secrets were sealed before key versions existed,
    in a database as it was before the key migration."""
    upgrade(settings)
    command.downgrade(alembic_config(settings), f"{key_revision(settings)}-1")
    old = old_fernet(settings)
    db = Database(settings)
    with db.session() as session:
        workspace = Workspace(front="console", external_id="local")
        session.add(workspace)
        session.flush()
        member = Member(workspace_id=workspace.id, user_ref="owner")
        session.add(member)
        session.flush()
        account = Account(workspace_id=workspace.id, platform="youtube", external_id="UC1", name="Chan",
                          token_blob=old.encrypt(json.dumps(TOKENS).encode()))
        state = OAuthState(state="digest", platform="youtube", workspace_id=workspace.id,
                           member_id=member.id, code_verifier_blob=old.encrypt(b"verifier-123"),
                           expires_at=utcnow())
        session.add_all([account, state])
        session.flush()
        ids = account.id, state.id
    db.dispose()
    return ids


@pytest.mark.parametrize("secret", ["correct horse battery staple", ""], ids=["SECRET_KEY", "generated key"])
def test_a_token_stored_the_old_way_is_sealed_again_on_upgrade_and_still_works(
        tmp_path: Path, secret: str) -> None:
    settings = make_settings(tmp_path, secret_key=secret)
    account_id, state_id = stored_the_old_way(settings)

    upgrade(settings)

    db = Database(settings)
    with db.session() as session:
        account = session.get_one(Account, account_id)
        verifier_blob = session.get_one(OAuthState, state_id).code_verifier_blob
        assert account.token_blob.startswith(b"v1.") and verifier_blob.startswith(b"v1.")
        assert load_tokens(settings, account) == TOKENS, "nobody has to reconnect"
        assert Sealer(settings, Purpose.oauth_tokens).open(verifier_blob) == b"verifier-123"
        with pytest.raises(InvalidToken):
            old_fernet(settings).decrypt(account.token_blob.removeprefix(b"v1."))
    db.dispose()


def test_downgrading_puts_tokens_back_the_old_way(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, secret_key="s3cret-for-downgrade")
    account_id, _ = stored_the_old_way(settings)
    upgrade(settings)

    command.downgrade(alembic_config(settings), f"{key_revision(settings)}-1")

    db = Database(settings)
    with db.session() as session:
        blob = session.scalar(select(Account.token_blob).where(Account.id == account_id))
    assert json.loads(old_fernet(settings).decrypt(blob)) == TOKENS
    db.dispose()


def test_a_token_sealed_with_another_secret_is_left_for_a_reconnect(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, secret_key="the secret at the time")
    account_id, _ = stored_the_old_way(settings)
    changed = make_settings(tmp_path, secret_key="a new secret")

    upgrade(changed)

    db = Database(changed)
    with db.session() as session:
        account = session.get_one(Account, account_id)
        assert not account.token_blob.startswith(b"v1.")
        assert json.loads(old_fernet(settings).decrypt(account.token_blob)) == TOKENS
    db.dispose()


def test_each_purpose_has_its_own_key_derived_with_hkdf_sha256(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, secret_key="correct horse battery staple")
    expected = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                    info=b"ettametta oauth-tokens v1").derive(b"correct horse battery staple")

    keys = {purpose: derive(settings, purpose) for purpose in Purpose}

    assert keys[Purpose.oauth_tokens] == expected
    assert len(set(keys.values())) == len(Purpose)
    sealed = Sealer(settings, Purpose.oauth_tokens).seal(b"plain")
    with pytest.raises(InvalidToken):
        Sealer(settings, Purpose.oauth_result_page).open(sealed)
