"""What a photo shows: the kinds a carer chooses from, and how each is named on pages and in the PDF."""

KINDS = [
    ("head_and_shoulders", "Head and shoulders"),
    ("full_length", "Full length"),
    ("outdoor_clothes", "Usual outdoor clothes"),
    ("distinguishing_mark", "Distinguishing mark"),
    ("clothing_item", "Clothing item"),
    ("other", "Other"),
]
KIND_LABELS = dict(KINDS)


def kind_label(kind: str | None) -> str:
    """ "Head and shoulders"; "Photo" for an unknown or missing kind."""
    return KIND_LABELS.get(str(kind or ""), "Photo")
