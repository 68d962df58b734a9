"""the sub-source of a customer's first lead

Revision ID: customers_0010
Revises: customers_0009
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = 'customers_0010'
down_revision = 'customers_0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('customers', sa.Column('sub_source', sa.String(length=100), nullable=True),
                  schema='customers')


def downgrade() -> None:
    op.drop_column('customers', 'sub_source', schema='customers')
