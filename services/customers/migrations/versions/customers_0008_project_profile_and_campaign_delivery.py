"""per-project stage labels and profile fields; campaign delivery counters

Revision ID: customers_0008
Revises: customers_0007
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'customers_0008'
down_revision = 'customers_0007'
branch_labels = None
depends_on = None

CAMPAIGN_COUNTERS = ('delivered', 'failed', 'not_sent', 'progress_revision')


def upgrade() -> None:
    op.add_column('project_funnels', sa.Column(
        'labels', postgresql.JSONB(astext_type=sa.Text()),
        server_default=sa.text("'{}'::jsonb"), nullable=False), schema='customers')
    op.create_table(
        'project_profile_fields',
        sa.Column('project_id', sa.UUID(), nullable=False),
        sa.Column('company_id', sa.UUID(), nullable=False),
        sa.Column('required', sa.ARRAY(sa.String(length=60)), nullable=False),
        sa.Column('optional', sa.ARRAY(sa.String(length=60)), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('recomputed_revision', sa.Integer(), server_default=sa.text('0'),
                  nullable=False),
        sa.Column('recompute_after', sa.UUID(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint('project_id'),
        schema='customers',
    )
    for name in CAMPAIGN_COUNTERS:
        op.add_column('campaigns', sa.Column(name, sa.Integer(), server_default=sa.text('0'),
                                             nullable=False), schema='customers')
    op.add_column('campaigns', sa.Column('finished_at', sa.DateTime(timezone=True),
                                         nullable=True), schema='customers')


def downgrade() -> None:
    op.drop_column('campaigns', 'finished_at', schema='customers')
    for name in CAMPAIGN_COUNTERS:
        op.drop_column('campaigns', name, schema='customers')
    op.drop_table('project_profile_fields', schema='customers')
    op.drop_column('project_funnels', 'labels', schema='customers')
