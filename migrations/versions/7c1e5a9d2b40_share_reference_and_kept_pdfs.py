"""share reference, kept police PDFs

Police open a share with a short reference and the code (issue 9): shares get a unique 8-character
reference. Existing shares get a random one here, so every row has one. The police PDF of a share's
snapshot and of a published version is rendered once and kept, sealed (nullable until rendered).

Revision ID: 7c1e5a9d2b40
Revises: 1550c3a12dd7
Create Date: 2026-12-01 22:40:00

"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = "7c1e5a9d2b40"
down_revision = "1550c3a12dd7"
branch_labels = None
depends_on = None

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # herbert.handover.shares.CODE_ALPHABET, copied: migrations stand alone


def upgrade():
    with op.batch_alter_table("shares", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reference", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("pdf_sealed", sa.LargeBinary(), nullable=True))
    connection = op.get_bind()
    shares = sa.table("shares", sa.column("id", sa.Integer), sa.column("reference", sa.String))
    taken: set[str] = set()
    for (share_id,) in connection.execute(sa.select(shares.c.id)).all():
        reference = ""
        while not reference or reference in taken:
            reference = "".join(secrets.choice(ALPHABET) for _ in range(8))
        taken.add(reference)
        connection.execute(shares.update().where(shares.c.id == share_id).values(reference=reference))
    with op.batch_alter_table("shares", schema=None) as batch_op:
        batch_op.alter_column("reference", existing_type=sa.String(length=8), nullable=False)
        batch_op.create_unique_constraint("uq_shares_reference", ["reference"])
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pdf_sealed", sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        batch_op.drop_column("pdf_sealed")
    with op.batch_alter_table("shares", schema=None) as batch_op:
        batch_op.drop_constraint("uq_shares_reference", type_="unique")
        batch_op.drop_column("pdf_sealed")
        batch_op.drop_column("reference")
