"""Text helpers every renderer needs: word-safe splitting and bar charts made of characters."""

from __future__ import annotations

CONTINUED = "…"


def chunk_words(text: str, limit: int) -> list[str]:
    """Split text into pieces of at most `limit` characters, only between words.

    A word longer than the limit is cut and marked with an ellipsis rather than dropped.
    """
    if limit < 2:
        raise ValueError("limit must be at least 2")
    chunks: list[str] = []
    current = ""
    for word in text.split(" "):
        while len(word) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(word[: limit - 1] + CONTINUED)
            word = word[limit - 1 :]
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= limit:
            current = candidate
        else:
            chunks.append(current)
            current = word
    if current or not chunks:
        chunks.append(current)
    return chunks


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary and marked when anything was cut."""
    if len(text) <= limit:
        return text
    if limit < 3:
        return text[: limit - 1] + CONTINUED
    head = chunk_words(text, limit - 1)[0].rstrip()
    return head + CONTINUED


def bar(share: float, width: int = 10) -> str:
    """A bar of `width` cells for a share between 0 and 1."""
    filled = round(max(0.0, min(1.0, share)) * width)
    return "█" * filled + "░" * (width - filled)


def percent(share: float | None) -> str:
    return "–" if share is None else f"{share:.0%}"
