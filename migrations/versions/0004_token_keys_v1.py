"""OAuth tokens sealed again with their own HKDF-derived key (key version 1)

Tokens and PKCE verifiers stored before key versions existed (Fernet keyed by the secret's
SHA-256, or by the generated key) are opened and sealed again with the key HKDF derives from
the same secret for OAuth tokens (core/keys.py), keeping their timestamps. Nobody has to
reconnect. A value that does not open with this deployment's secret (SECRET_KEY changed) is
left as it is: the product asks for a reconnection of that account, as before.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import context, op
from cryptography.fernet import InvalidToken

from core.config import Settings, get_settings
from core.keys import Purpose, Sealer

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SEALED_COLUMNS = (("accounts", "token_blob"), ("oauth_states", "code_verifier_blob"))


def _settings() -> Settings:
    return context.config.attributes.get("settings") or get_settings()


def _reseal_all(change: Callable[[Sealer, bytes], bytes]) -> None:
    connection = op.get_bind()
    sealer: Sealer | None = None
    for table_name, column in SEALED_COLUMNS:
        table = sa.table(table_name, sa.column("id", sa.Integer), sa.column(column, sa.LargeBinary))
        rows = connection.execute(sa.select(table.c.id, table.c[column]).where(table.c[column].is_not(None)))
        for row_id, blob in rows.all():
            sealer = sealer or Sealer(_settings(), Purpose.oauth_tokens)
            try:
                resealed = change(sealer, bytes(blob))
            except InvalidToken:
                continue
            if resealed != bytes(blob):
                connection.execute(sa.update(table).where(table.c.id == row_id).values({column: resealed}))


def upgrade() -> None:
    _reseal_all(Sealer.reseal)


def downgrade() -> None:
    _reseal_all(Sealer.reseal_legacy)
