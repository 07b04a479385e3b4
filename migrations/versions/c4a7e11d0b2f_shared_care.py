"""shared care: membership since/last active, invitations, draft section revisions

Revision ID: c4a7e11d0b2f
Revises: 5e4a1d2c9b7f
Create Date: 2026-12-01 22:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c4a7e11d0b2f'
down_revision = '5e4a1d2c9b7f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.String(length=32), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('invited_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('accepted_by', sa.Integer(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['accepted_by'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invited_by'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitations_person_id'), ['person_id'], unique=False)

    with op.batch_alter_table('draft_sections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='1', nullable=False))

    # Existing carers have been carers since their person was created (the best date there is).
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_active_at', sa.DateTime(), nullable=True))
    op.execute(
        "UPDATE memberships SET created_at = "
        "(SELECT people.created_at FROM people WHERE people.id = memberships.person_id)"
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.alter_column('created_at', existing_type=sa.DateTime(), nullable=False)


def downgrade():
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_column('last_active_at')
        batch_op.drop_column('created_at')

    with op.batch_alter_table('draft_sections', schema=None) as batch_op:
        batch_op.drop_column('revision')

    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitations_person_id'))

    op.drop_table('invitations')
