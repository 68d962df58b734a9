"""removed extra phones (ids only), so an addition overtaken by its removal stays removed

Revision ID: leads_0006
Revises: leads_0005
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = 'leads_0006'
down_revision = 'leads_0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'removed_phones',
        sa.Column('phone_id', sa.UUID(), nullable=False),
        sa.Column('removed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('phone_id'),
        schema='leads',
    )


def downgrade() -> None:
    op.drop_table('removed_phones', schema='leads')
