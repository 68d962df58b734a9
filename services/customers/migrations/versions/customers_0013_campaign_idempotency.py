"""a campaign's Idempotency-Key: a retried start answers the campaign started the first time

Revision ID: customers_0013
Revises: customers_0012
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = 'customers_0013'
down_revision = 'customers_0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('campaigns', sa.Column('idempotency_key', sa.String(length=200), nullable=True),
                  schema='customers')
    op.add_column('campaigns', sa.Column('request_hash', sa.String(length=64), nullable=True),
                  schema='customers')
    op.create_index('campaigns_idempotency_key', 'campaigns',
                    ['company_id', 'created_by', 'idempotency_key'], unique=True,
                    schema='customers', postgresql_where=sa.text('idempotency_key IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('campaigns_idempotency_key', table_name='campaigns', schema='customers')
    op.drop_column('campaigns', 'request_hash', schema='customers')
    op.drop_column('campaigns', 'idempotency_key', schema='customers')
