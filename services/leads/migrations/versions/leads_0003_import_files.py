"""import files: the uploaded list, kept until its job is done so any replica can run it

Revision ID: leads_0003
Revises: leads_0002
Create Date: 2026-11-24 09:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'leads_0003'
down_revision = 'leads_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('import_files',
    sa.Column('job_id', sa.UUID(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('content_type', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('job_id'),
    schema='leads'
    )


def downgrade() -> None:
    op.drop_table('import_files', schema='leads')
