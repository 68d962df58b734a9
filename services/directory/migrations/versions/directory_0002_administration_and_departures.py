"""administration and departures: project districts and active flags, granted scopes,
password changes, revoked tokens, offboardings

Revision ID: directory_0002
Revises: directory_0001
Create Date: 2026-12-02 00:40:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = 'directory_0002'
down_revision = 'directory_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('projects', sa.Column('districts', postgresql.ARRAY(sa.String(length=50)),
                  server_default=sa.text("'{}'"), nullable=False), schema='directory')
    op.add_column('projects', sa.Column('active', sa.Boolean(), server_default=sa.text('true'),
                  nullable=False), schema='directory')
    op.add_column('teams', sa.Column('active', sa.Boolean(), server_default=sa.text('true'),
                  nullable=False), schema='directory')
    op.add_column('users', sa.Column('scopes', postgresql.ARRAY(sa.String(length=50)),
                  server_default=sa.text("'{}'"), nullable=False), schema='directory')
    op.add_column('users', sa.Column('must_change_password', sa.Boolean(),
                  server_default=sa.text('false'), nullable=False), schema='directory')
    op.add_column('users', sa.Column('password_changed_at', sa.DateTime(timezone=True),
                  nullable=True), schema='directory')
    op.create_table('revoked_tokens',
    sa.Column('jti', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('jti'),
    schema='directory'
    )
    op.create_index(op.f('ix_directory_revoked_tokens_user_id'), 'revoked_tokens', ['user_id'],
                    unique=False, schema='directory')
    op.create_index(op.f('ix_directory_revoked_tokens_expires_at'), 'revoked_tokens',
                    ['expires_at'], unique=False, schema='directory')
    op.create_table('offboardings',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('company_id', sa.UUID(), nullable=False),
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('team_id', sa.UUID(), nullable=True),
    sa.Column('plan', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('requested_by', sa.UUID(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('moved', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('total', sa.Integer(), nullable=True),
    sa.Column('done', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('projects', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'"),
              nullable=False),
    sa.Column('progress_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id'),
    schema='directory'
    )
    op.create_index(op.f('ix_directory_offboardings_company_id'), 'offboardings', ['company_id'],
                    unique=False, schema='directory')


def downgrade() -> None:
    op.drop_index(op.f('ix_directory_offboardings_company_id'), table_name='offboardings',
                  schema='directory')
    op.drop_table('offboardings', schema='directory')
    op.drop_index(op.f('ix_directory_revoked_tokens_expires_at'), table_name='revoked_tokens',
                  schema='directory')
    op.drop_index(op.f('ix_directory_revoked_tokens_user_id'), table_name='revoked_tokens',
                  schema='directory')
    op.drop_table('revoked_tokens', schema='directory')
    for table, column in (('users', 'password_changed_at'), ('users', 'must_change_password'),
                          ('users', 'scopes'), ('teams', 'active'), ('projects', 'active'),
                          ('projects', 'districts')):
        op.drop_column(table, column, schema='directory')
