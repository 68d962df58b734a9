"""system users: every company has its own `system` integration user (the tasks service's
notifier calls the customers service as it), made here for the companies that exist already
(new ones get it from commands.upsert_company). The services' read copies learn it by
reading it through from the directory on its first call.

Revision ID: directory_0004
Revises: directory_0003_admin
Create Date: 2026-12-02 12:00:00
"""
import sqlalchemy as sa
from alembic import op

from kit.auth import system_user_id

revision = 'directory_0004'
down_revision = 'directory_0003_admin'
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    companies = conn.execute(sa.text('SELECT id FROM directory.companies')).scalars().all()
    for company_id in companies:
        conn.execute(sa.text(
            "INSERT INTO directory.users (id, company_id, username, password_hash, name, role, "
            "team_id, project_ids, active, on_duty, scopes, must_change_password, revision, "
            "created_at) VALUES (:id, :company, :username, :none, :name, 'integration', NULL, "
            "'{}', true, false, '{}', false, 1, now()) ON CONFLICT DO NOTHING"),
            # as commands._add_system_user makes it; "!" is no password hash: no login
            {"id": system_user_id(company_id), "company": company_id,
             "username": f"system@{company_id}", "none": "!", "name": "系统 system"})


def downgrade() -> None:
    conn = op.get_bind()
    for company_id in conn.execute(sa.text('SELECT id FROM directory.companies')).scalars():
        conn.execute(sa.text('DELETE FROM directory.users WHERE id = :id'),
                     {"id": system_user_id(company_id)})
