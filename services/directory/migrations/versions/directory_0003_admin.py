"""directory administration: idempotency keys of creates

Revision ID: directory_0003_admin
Revises: directory_0002
Create Date: 2026-12-02 01:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'directory_0003_admin'
down_revision = 'directory_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('idempotency_keys',
    sa.Column('company_id', sa.UUID(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('entity_id', sa.UUID(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('company_id', 'kind', 'key'),
    schema='directory'
    )


def downgrade() -> None:
    op.drop_table('idempotency_keys', schema='directory')
