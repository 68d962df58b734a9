"""privacy: a merged customer's key leads to its survivor

A merge (customers' customer.merged) keeps the merged record's phone as a dedupe key, now
naming the survivor, so a later lead with that phone joins the survivor. Erasure needs no
column: it deletes the person's keys and overwrites their leads and registrations.

Revision ID: leads_0004
Revises: leads_0003
Create Date: 2026-11-25 09:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'leads_0004'
down_revision = 'leads_0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('customer_keys', sa.Column('merged_into', sa.UUID(), nullable=True),
                  schema='leads')
    op.create_index('ix_customer_keys_merged_into', 'customer_keys', ['merged_into'],
                    unique=False, schema='leads',
                    postgresql_where=sa.text('merged_into IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_customer_keys_merged_into', table_name='customer_keys', schema='leads',
                  postgresql_where=sa.text('merged_into IS NOT NULL'))
    op.drop_column('customer_keys', 'merged_into', schema='leads')
