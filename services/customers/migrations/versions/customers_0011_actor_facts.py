"""actor facts: the users copy keeps effective scopes (callers are authorised from it), and
tokens logged out before their expiry are kept until then

Rows copied before scopes were carried start at revision 0, so the next token of each user
(whose rev is at least 1) reads the user's whole fact through from the directory once.

Revision ID: customers_0011
Revises: customers_0010
Create Date: 2026-12-02 12:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'customers_0011'
down_revision = 'customers_0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('scopes', postgresql.ARRAY(sa.String(length=50)),
                  server_default=sa.text("'{}'"), nullable=False), schema='customers')
    op.execute('UPDATE customers.users SET revision = 0')
    op.create_table(
        'revoked_tokens',
        sa.Column('jti', sa.String(length=64), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('jti'),
        schema='customers',
    )
    op.create_index(op.f('ix_customers_revoked_tokens_expires_at'), 'revoked_tokens',
                    ['expires_at'], unique=False, schema='customers')


def downgrade() -> None:
    op.drop_index(op.f('ix_customers_revoked_tokens_expires_at'), table_name='revoked_tokens',
                  schema='customers')
    op.drop_table('revoked_tokens', schema='customers')
    op.drop_column('users', 'scopes', schema='customers')
