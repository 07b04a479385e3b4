"""reset links count the security codes tried with them (at most 5, then the link is spent)

Revision ID: 9d3b6f0e2a71
Revises: c4a7e11d0b2f
Create Date: 2026-12-03 15:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '9d3b6f0e2a71'
down_revision = 'c4a7e11d0b2f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code_attempts', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.drop_column('code_attempts')
