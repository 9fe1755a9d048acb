"""why an outbox event ended undelivered

An event whose delivery can never succeed (the chat is gone, the bot was removed, the
person blocked it) leaves the queue with `delivered_at` set and `failure` naming the reason
(core.outbox.Undeliverable); /status counts them.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("failure", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("failure")
