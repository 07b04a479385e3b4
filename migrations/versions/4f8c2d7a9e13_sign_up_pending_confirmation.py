"""accounts made at sign-up wait for their emailed link (users.pending_confirmation)

Revision ID: 4f8c2d7a9e13
Revises: 9d3b6f0e2a71
Create Date: 2026-12-03 16:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '4f8c2d7a9e13'
down_revision = '9d3b6f0e2a71'
branch_labels = None
depends_on = None


def upgrade():
    # Existing accounts are in use already: none of them waits for a link.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending_confirmation', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('pending_confirmation')
