"""marketing choices: a read copy of each customer's latest opt-out or opt-in

Revision ID: tasks_0005
Revises: tasks_0004
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = 'tasks_0005'
down_revision = 'tasks_0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'marketing_choices',
        sa.Column('customer_id', sa.UUID(), nullable=False),
        sa.Column('company_id', sa.UUID(), nullable=False),
        sa.Column('opted_out', sa.Boolean(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('customer_id'),
        schema='tasks',
    )


def downgrade() -> None:
    op.drop_table('marketing_choices', schema='tasks')
