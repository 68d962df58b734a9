"""indexes for segments (counting and listing over a million customers)

Revision ID: customers_0006
Revises: customers_0005
Create Date: 2026-11-23 (written by hand)

Every segment query carries company_id, the scope and the live-row condition
(erased_at IS NULL AND merged_into IS NULL), so the b-tree indexes lead with company_id and
are partial on live rows (smaller, and the planner proves the predicate from the query).

Three entry points carry one payload: whichever of stage, owner (a consultant's or a team's
scope) or creation time narrows a segment most, PostgreSQL starts there and checks the other
common parts (stage, stage_entered_at, project, owner, last follow-up, created_at, and the id
for the tag semi-joins) from the index alone, without visiting the table. Measured in
bench/segments.py over 1,000,000 customers: the issue's example ("phase 1 owners focused on
schools who signed over 2 years ago") counted in ~20 ms instead of ~140 ms with plain
(company_id, stage, stage_entered_at), which had to visit 28,000 rows of the table.

Built CONCURRENTLY, outside the migration's transaction, so a running suite keeps writing
customers while a big table is indexed.
"""
from alembic import op

revision = "customers_0006"
down_revision = "customers_0005"
branch_labels = None
depends_on = None

LIVE = "erased_at IS NULL AND merged_into IS NULL"
PAYLOAD = "id, stage, stage_entered_at, project_id, owner_id, last_followup_at, created_at"


def _covering(keys: str) -> str:
    payload = ", ".join(c for c in PAYLOAD.split(", ") if c not in keys.split(", "))
    return f"({keys}) INCLUDE ({payload}) WHERE {LIVE}"


INDEXES = (
    # stages, "signed more than 2 years ago", "in 意向 for over 30 days"
    ("ix_customers_segment_stage", "customers",
     _covering("company_id, stage, stage_entered_at")),
    # a consultant's or a team's customers (the scope), newest first
    ("ix_customers_segment_owner", "customers", _covering("company_id, owner_id, created_at")),
    # created windows, and the listing's order (newest first) over the whole company
    ("ix_customers_segment_created", "customers", _covering("company_id, created_at, id")),
    # "followed up this week" over every stage
    ("ix_customers_segment_followup", "customers",
     f"(company_id, last_followup_at) WHERE {LIVE}"),
    # purpose / districts / layouts as portrait @> '{...}'
    ("ix_customers_segment_portrait", "customers", "USING gin (portrait jsonb_path_ops)"),
    # tag semi-joins answered from the index alone
    ("ix_customer_tags_segment", "customer_tags", "(dimension, value, customer_id)"),
)

# A value belongs to one dimension: without this the planner multiplies the two
# selectivities and underestimates every tag by the dimension's share (5x here).
STATISTICS = ("CREATE STATISTICS IF NOT EXISTS customers.customer_tags_dimension_value "
              "(dependencies, mcv) ON dimension, value FROM customers.customer_tags")


def upgrade() -> None:
    with op.get_context().autocommit_block():
        for name, table, definition in INDEXES:
            # A CONCURRENTLY build that failed leaves an invalid index behind: rebuild it.
            op.execute(f"""DO $$ BEGIN
                IF EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                           JOIN pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname = 'customers' AND c.relname = '{name}'
                             AND NOT i.indisvalid) THEN
                    EXECUTE 'DROP INDEX customers.{name}';
                END IF; END $$""")
            op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} "
                       f"ON customers.{table} {definition}")
    op.execute(STATISTICS)
    op.execute("ANALYZE customers.customer_tags")


def downgrade() -> None:
    op.execute("DROP STATISTICS IF EXISTS customers.customer_tags_dimension_value")
    with op.get_context().autocommit_block():
        for name, _, _ in reversed(INDEXES):
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS customers.{name}")
