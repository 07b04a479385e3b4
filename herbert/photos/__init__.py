"""Photos of the person: the pages to add, describe, choose and remove them, cleaning every upload (pure
functions), and the kinds a photo can be."""
