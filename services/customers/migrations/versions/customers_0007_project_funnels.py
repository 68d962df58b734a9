"""project funnels: which standard stages a project uses

Revision ID: customers_0007
Revises: customers_0006
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = 'customers_0007'
down_revision = 'customers_0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'project_funnels',
        sa.Column('project_id', sa.UUID(), nullable=False),
        sa.Column('company_id', sa.UUID(), nullable=False),
        sa.Column('stages', sa.ARRAY(sa.String(length=20)), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint('project_id'),
        schema='customers',
    )


def downgrade() -> None:
    op.drop_table('project_funnels', schema='customers')
