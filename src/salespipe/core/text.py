"""Text folding for search and de-duplication that ignores case and accents (Greek included)."""

import unicodedata
from urllib.parse import urlsplit


def fold(text: str) -> str:
    """Lower-case, accent-free, whitespace-collapsed form: "Παπαδόπουλος" and "παπαδοπουλος" match."""
    if text.isascii():  # the same answer without decomposing: ASCII has no accents (an import's millions)
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def domain_of(website: str) -> str:
    """`https://www.Acme.com/about` → `acme.com`: the part of a website every spelling of it shares, by
    which an organization without a matching name is recognised."""
    text = website.strip().lower()
    if not text:
        return ""
    try:
        host = urlsplit(text if "//" in text else f"//{text}").hostname or ""
    except ValueError:  # an unreadable address is no domain
        return ""
    return host.removeprefix("www.")
