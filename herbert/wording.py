"""Small rules for joining answers into the phrases pages and PDFs print ("White, short and curly")."""


def lower_first(text: object) -> str:
    """A capital lowered inside a sentence ("Change NHS number", "Change date of birth"): only when the next letter
    is lower case, so acronyms and postcodes ("UK", "LS1") stay as typed."""
    word = str(text)
    return word[0].lower() + word[1:] if len(word) > 1 and word[0].isupper() and word[1].islower() else word


def as_phrase(*parts: str) -> str:
    """Answers joined as one phrase: "White", "Short and curly" → "White, short and curly"."""
    words = [part for part in parts if part]
    return ", ".join(words[:1] + [lower_first(word) for word in words[1:]])


def person_with_relationship(who: str, relationship: str) -> str:
    """ "Susan Ellis (Daughter)", but "Susan Ellis – daughter (lives with her)" rather than nested brackets."""
    if not relationship:
        return who
    if "(" in relationship or ")" in relationship:
        return f"{who} – {lower_first(relationship)}"
    return f"{who} ({relationship})"
