"""handovers: a departure's (离职交接) or a bulk reassignment's plan, per customer

Revision ID: leads_0008
Revises: leads_0007
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'leads_0008'
down_revision = 'leads_0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'handovers',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('company_id', sa.UUID(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('user_id', sa.UUID(), nullable=True),
        sa.Column('team_id', sa.UUID(), nullable=True),
        sa.Column('plan', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('reason', sa.String(length=50), nullable=False),
        sa.Column('requested_by', sa.UUID(), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('total', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('moved', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('skipped', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('idempotency_key', sa.String(length=200), nullable=True),
        sa.Column('request_hash', sa.String(length=64), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('company_id', 'idempotency_key'),
        schema='leads',
    )
    op.create_index('ix_handovers_moving', 'handovers', ['requested_at'], unique=False,
                    schema='leads', postgresql_where=sa.text("status = 'moving'"))
    op.create_table(
        'handover_items',
        sa.Column('handover_id', sa.UUID(), nullable=False),
        sa.Column('customer_id', sa.UUID(), nullable=False),
        sa.Column('ordinal', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.UUID(), nullable=True),
        sa.Column('from_owner_id', sa.UUID(), nullable=False),
        sa.Column('planned_owner_id', sa.UUID(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('owner_id', sa.UUID(), nullable=True),
        sa.Column('replanned', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('moved_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('handover_id', 'customer_id'),
        schema='leads',
    )
    op.create_index('ix_handover_items_pending', 'handover_items', ['handover_id', 'ordinal'],
                    unique=False, schema='leads', postgresql_where=sa.text("status = 'pending'"))
    op.create_index('ix_handover_items_customer', 'handover_items', ['customer_id'],
                    unique=False, schema='leads')


def downgrade() -> None:
    op.drop_index('ix_handover_items_customer', table_name='handover_items', schema='leads')
    op.drop_index('ix_handover_items_pending', table_name='handover_items', schema='leads')
    op.drop_table('handover_items', schema='leads')
    op.drop_index('ix_handovers_moving', table_name='handovers', schema='leads')
    op.drop_table('handovers', schema='leads')
