"""owner revision: ownership follows the leads service's pool decisions in order

Revision ID: customers_0002
Revises: customers_0001
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = 'customers_0002'
down_revision = 'customers_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('customers', sa.Column('owner_revision', sa.Integer(), server_default='1',
                                         nullable=False), schema='customers')


def downgrade() -> None:
    op.drop_column('customers', 'owner_revision', schema='customers')
