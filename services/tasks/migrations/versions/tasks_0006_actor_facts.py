"""actor facts: the users copy keeps effective scopes (callers are authorised from it), and
tokens logged out before their expiry are kept until then

Rows copied before scopes were carried start at revision 0, so the next token of each user
(whose rev is at least 1) reads the user's whole fact through from the directory once.

Revision ID: tasks_0006
Revises: tasks_0005
Create Date: 2026-12-02 12:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'tasks_0006'
down_revision = 'tasks_0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('scopes', postgresql.ARRAY(sa.String(length=50)),
                  server_default=sa.text("'{}'"), nullable=False), schema='tasks')
    op.execute('UPDATE tasks.users SET revision = 0')
    op.create_table(
        'revoked_tokens',
        sa.Column('jti', sa.String(length=64), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('jti'),
        schema='tasks',
    )
    op.create_index(op.f('ix_tasks_revoked_tokens_expires_at'), 'revoked_tokens',
                    ['expires_at'], unique=False, schema='tasks')


def downgrade() -> None:
    op.drop_index(op.f('ix_tasks_revoked_tokens_expires_at'), table_name='revoked_tokens',
                  schema='tasks')
    op.drop_table('revoked_tokens', schema='tasks')
    op.drop_column('users', 'scopes', schema='tasks')
