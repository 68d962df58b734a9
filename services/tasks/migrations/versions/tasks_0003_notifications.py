"""notifications: company channel settings, the in-app inbox, external deliveries

Revision ID: tasks_0003
Revises: tasks_0002
Create Date: 2026-11-23 13:30:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = 'tasks_0003'
down_revision = 'tasks_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'notification_settings',
        sa.Column('company_id', sa.UUID(), nullable=False),
        sa.Column('config', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint('company_id'),
        schema='tasks',
    )
    op.create_table(
        'notifications',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('company_id', sa.UUID(), nullable=False),
        sa.Column('recipient_id', sa.UUID(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('link', sa.String(length=500), nullable=True),
        sa.Column('dedupe_key', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('company_id', 'recipient_id', 'dedupe_key',
                            name='uq_notifications_dedupe'),
        schema='tasks',
    )
    op.create_index('ix_notifications_recipient', 'notifications',
                    ['recipient_id', 'created_at'], schema='tasks')
    op.create_index('ix_notifications_unread', 'notifications', ['recipient_id'],
                    schema='tasks', postgresql_where=sa.text('read_at IS NULL'))
    op.create_table(
        'deliveries',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('company_id', sa.UUID(), nullable=False),
        sa.Column('notification_id', sa.UUID(), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['notification_id'], ['tasks.notifications.id'],
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('notification_id', 'channel', name='uq_deliveries_channel'),
        schema='tasks',
    )
    op.create_index('ix_deliveries_due', 'deliveries', ['next_attempt_at'], schema='tasks',
                    postgresql_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    op.drop_index('ix_deliveries_due', table_name='deliveries', schema='tasks')
    op.drop_table('deliveries', schema='tasks')
    op.drop_index('ix_notifications_unread', table_name='notifications', schema='tasks')
    op.drop_index('ix_notifications_recipient', table_name='notifications', schema='tasks')
    op.drop_table('notifications', schema='tasks')
    op.drop_table('notification_settings', schema='tasks')
