"""a customer's grade (客户等级 A–D): from the leads' grading until a person sets it

Revision ID: customers_0012
Revises: customers_0011
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = 'customers_0012'
down_revision = 'customers_0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('customers', sa.Column('grade', sa.String(length=1), nullable=True),
                  schema='customers')
    op.add_column('customers', sa.Column('grade_set_by', sa.String(length=10), nullable=True),
                  schema='customers')


def downgrade() -> None:
    op.drop_column('customers', 'grade_set_by', schema='customers')
    op.drop_column('customers', 'grade', schema='customers')
