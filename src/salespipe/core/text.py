"""Text folding for search and de-duplication that ignores case and accents (Greek included)."""

import unicodedata


def fold(text: str) -> str:
    """Lower-case, accent-free, whitespace-collapsed form: "Παπαδόπουλος" and "παπαδοπουλος" match."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())
