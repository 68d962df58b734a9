"""phone aliases: a customer's extra phones dedupe too

A customer may have more than one phone (a spouse's, a second SIM). The customers service
announces them (customer.phone_added / customer.phone_removed); each becomes an alias that
finds the customer as the primary phone's key does. Kept: the blind index and the masked
form, no ciphertext and no plaintext.

Revision ID: leads_0005
Revises: leads_0004
Create Date: 2026-12-02 09:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'leads_0005'
down_revision = 'leads_0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('phone_aliases',
    sa.Column('phone_id', sa.UUID(), nullable=False),
    sa.Column('company_id', sa.UUID(), nullable=False),
    sa.Column('phone_index', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.UUID(), nullable=False),
    sa.Column('phone_masked', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('phone_id'),
    sa.UniqueConstraint('company_id', 'phone_index'),
    schema='leads'
    )
    op.create_index('ix_phone_aliases_customer', 'phone_aliases', ['customer_id'],
                    unique=False, schema='leads')


def downgrade() -> None:
    op.drop_index('ix_phone_aliases_customer', table_name='phone_aliases', schema='leads')
    op.drop_table('phone_aliases', schema='leads')
