"""geocoded points for the search aid (sealed with the person's key)

Revision ID: 5e4a1d2c9b7f
Revises: bc7c8765a40a
Create Date: 2026-12-01 22:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e4a1d2c9b7f'
down_revision = 'bc7c8765a40a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('geocoded_points',
    sa.Column('person_id', sa.String(length=32), nullable=False),
    sa.Column('points_sealed', sa.LargeBinary(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id')
    )


def downgrade():
    op.drop_table('geocoded_points')
