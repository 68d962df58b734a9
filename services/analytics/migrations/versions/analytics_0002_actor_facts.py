"""actor facts: a users copy (callers are authorised from the directory's facts about them)
and the tokens logged out before their expiry, kept until then

Revision ID: analytics_0002
Revises: analytics_0001
Create Date: 2026-12-02 12:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'analytics_0002'
down_revision = 'analytics_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'users',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('company_id', sa.UUID(), nullable=False),
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('team_id', sa.UUID(), nullable=True),
        sa.Column('project_ids', sa.ARRAY(sa.UUID()), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('on_duty', sa.Boolean(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('scopes', postgresql.ARRAY(sa.String(length=50)),
                  server_default=sa.text("'{}'"), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        schema='analytics',
    )
    op.create_index(op.f('ix_analytics_users_company_id'), 'users', ['company_id'],
                    unique=False, schema='analytics')
    op.create_index(op.f('ix_analytics_users_team_id'), 'users', ['team_id'], unique=False,
                    schema='analytics')
    op.create_table(
        'revoked_tokens',
        sa.Column('jti', sa.String(length=64), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('jti'),
        schema='analytics',
    )
    op.create_index(op.f('ix_analytics_revoked_tokens_expires_at'), 'revoked_tokens',
                    ['expires_at'], unique=False, schema='analytics')


def downgrade() -> None:
    op.drop_index(op.f('ix_analytics_revoked_tokens_expires_at'), table_name='revoked_tokens',
                  schema='analytics')
    op.drop_table('revoked_tokens', schema='analytics')
    op.drop_index(op.f('ix_analytics_users_team_id'), table_name='users', schema='analytics')
    op.drop_index(op.f('ix_analytics_users_company_id'), table_name='users', schema='analytics')
    op.drop_table('users', schema='analytics')
