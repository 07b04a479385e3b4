"""C. Photographs: pages and storage belong to herbert.photos.views; the answers are not in the document."""

from herbert.questions.structure import Section

SECTION = Section(
    slug="photographs",
    letter="C",
    title="Photographs",
    endpoint="photos.index",
    intro="At least one recent head-and-shoulders photo.",
)
