"""a customer's extra phones

Revision ID: customers_0009
Revises: customers_0008
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = 'customers_0009'
down_revision = 'customers_0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'customer_phones',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('company_id', sa.UUID(), nullable=False),
        sa.Column('customer_id', sa.UUID(), nullable=False),
        sa.Column('phone_enc', sa.Text(), nullable=False),
        sa.Column('phone_index', sa.String(length=64), nullable=False),
        sa.Column('phone_masked', sa.String(length=32), nullable=False),
        sa.Column('label', sa.String(length=20), nullable=True),
        sa.Column('added_by', sa.UUID(), nullable=False),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('company_id', 'phone_index', name='uq_customer_phones_index'),
        schema='customers',
    )
    op.create_index(op.f('ix_customers_customer_phones_customer_id'), 'customer_phones',
                    ['customer_id'], unique=False, schema='customers')


def downgrade() -> None:
    op.drop_table('customer_phones', schema='customers')
