"""an index the desk's team list is counted and paged from alone

Revision ID: customers_0014
Revises: customers_0013
Create Date: 2026-12-02 (written by hand)

GET /api/customers for a manager is `company_id = … AND owner_id = ANY(team) AND merged_into
IS NULL` with the desk's filters, counted, then one page newest first (or longest silent,
least complete first). ix_customers_company_owner finds the team's rows but holds none of
what they are filtered and sorted by, so both the count and the page visited every one of
the team's rows in the table: over a million customers with the team's 10,000 scattered
among them, ~13 ms for the count and ~17 ms for the page (bench/desk_customers.py --rows
1000000). The segment indexes (customers_0006) cannot serve it: they are partial on
`erased_at IS NULL` too, and the list shows erased customers.

Keyed on (company_id, owner_id) and partial on `merged_into IS NULL` like the query, carrying
what the list filters and sorts by (created_at, id, stage, grade, completeness,
last_followup_at, project_id): the count and the page's ids come from the index alone
(~2 ms each there), and only the page's 50 rows are read from the table (the service lists
ids first, as segments do). Built CONCURRENTLY, outside the migration's transaction.
"""
from alembic import op

revision = "customers_0014"
down_revision = "customers_0013"
branch_labels = None
depends_on = None

NAME = "ix_customers_list_owner"
DEFINITION = ("(company_id, owner_id) INCLUDE (created_at, id, stage, grade, completeness, "
              "last_followup_at, project_id) WHERE merged_into IS NULL")


def upgrade() -> None:
    with op.get_context().autocommit_block():
        # A CONCURRENTLY build that failed leaves an invalid index behind: rebuild it.
        op.execute(f"""DO $$ BEGIN
            IF EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                       JOIN pg_namespace n ON n.oid = c.relnamespace
                       WHERE n.nspname = 'customers' AND c.relname = '{NAME}'
                         AND NOT i.indisvalid) THEN
                EXECUTE 'DROP INDEX customers.{NAME}';
            END IF; END $$""")
        op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {NAME} "
                   f"ON customers.customers {DEFINITION}")


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS customers.{NAME}")
