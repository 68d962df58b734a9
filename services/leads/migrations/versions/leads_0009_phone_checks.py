"""录入's known-phone checks counted per user and window (the rate limit)

Revision ID: leads_0009
Revises: leads_0008
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = 'leads_0009'
down_revision = 'leads_0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'phone_check_counts',
        sa.Column('user_id', sa.UUID(), nullable=False),
        sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('user_id', 'window_start'),
        schema='leads',
    )


def downgrade() -> None:
    op.drop_table('phone_check_counts', schema='leads')
