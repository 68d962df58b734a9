"""campaign delivery: the customers' campaigns being delivered and one row per recipient

Revision ID: tasks_0004
Revises: tasks_0003
Create Date: 2026-11-24 09:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'tasks_0004'
down_revision = 'tasks_0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'campaigns',
        sa.Column('campaign_id', sa.UUID(), nullable=False),
        sa.Column('company_id', sa.UUID(), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('started_by', sa.UUID(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('announced', sa.Integer(), nullable=False),
        sa.Column('cursor', sa.UUID(), nullable=True),
        sa.Column('resolved', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.Column('expand_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expand_attempts', sa.Integer(), server_default=sa.text('0'),
                  nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('recipients', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('delivered', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('failed', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('not_sent', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('revision', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('campaign_id'),
        schema='tasks',
    )
    op.create_index('ix_campaigns_expand_due', 'campaigns', ['expand_at'], schema='tasks',
                    postgresql_where=sa.text('NOT resolved'))
    op.create_table(
        'campaign_deliveries',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('campaign_id', sa.UUID(), nullable=False),
        sa.Column('company_id', sa.UUID(), nullable=False),
        sa.Column('customer_id', sa.UUID(), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('owner_id', sa.UUID(), nullable=True),
        sa.Column('phone_enc', sa.Text(), nullable=True),
        sa.Column('opt_out_path', sa.String(length=300), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['tasks.campaigns.campaign_id'],
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('campaign_id', 'customer_id',
                            name='uq_campaign_deliveries_customer'),
        schema='tasks',
    )
    op.create_index('ix_campaign_deliveries_due', 'campaign_deliveries', ['next_attempt_at'],
                    schema='tasks',
                    postgresql_where=sa.text("status = 'pending' AND channel = 'sms'"))
    op.create_index('ix_campaign_deliveries_customer', 'campaign_deliveries',
                    ['company_id', 'customer_id'], schema='tasks')


def downgrade() -> None:
    op.drop_index('ix_campaign_deliveries_customer', table_name='campaign_deliveries',
                  schema='tasks')
    op.drop_index('ix_campaign_deliveries_due', table_name='campaign_deliveries',
                  schema='tasks')
    op.drop_table('campaign_deliveries', schema='tasks')
    op.drop_index('ix_campaigns_expand_due', table_name='campaigns', schema='tasks')
    op.drop_table('campaigns', schema='tasks')
