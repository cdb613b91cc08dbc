"""Two-character search keys (二元切分) for infix search over Chinese names and addresses.

A b-tree cannot answer ``name LIKE '%超市%'``, and the trigram indexes of PostgreSQL (pg_trgm) and
SQLite (FTS5 ``trigram``) need terms of at least three characters, while most Chinese words, and so
most search terms, are two characters long. So a text is cut into every overlapping pair of its
upper-cased characters (its *keys*), the keys are stored in an indexed table, and a search first
narrows the rows to those holding the term's keys, then confirms with the real infix match (except
for a term the keys decide alone, see ``decides``).

The narrowing is only ever a necessary condition: if ``term`` occurs in ``text`` (ignoring case),
every key of ``term`` is a key of ``text``, because upper-casing maps one character at a time. A
term of one character has no key and must be searched without the index.

Pure Python, no Django import; the table lives in ``firegov.registry``.
"""

from __future__ import annotations

from collections.abc import Iterable

KEY_LENGTH = 2
# A long term needs no more than a few of its keys to find a small candidate set; the infix
# match that follows does the rest. Fewer keys are fewer joins.
PROBE_LIMIT = 4


def fold(text: str) -> str:
    """The form keys are cut from: upper case, as the database's case-insensitive LIKE compares."""
    return text.upper()


def _pairs(folded: str) -> list[str]:
    return [folded[i:i + KEY_LENGTH] for i in range(len(folded) - KEY_LENGTH + 1)]


def keys(texts: Iterable[str]) -> set[str]:
    """Every key of the texts (each text cut on its own: no pair spans two texts)."""
    out: set[str] = set()
    for text in texts:
        out.update(_pairs(fold(text or "")))
    return out


# Han ideographs (CJK Unified Ideographs with extensions A to H, and the compatibility block).
IDEOGRAPHS = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x323AF))


def is_ideograph(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in IDEOGRAPHS)


def decides(term: str) -> bool:
    """Whether the keys alone decide a match of ``term``, with no infix match to follow.

    True for a term of exactly two Han ideographs (the commonest search, a Chinese word such as
    超市): it occurs in a text exactly when it is one of the text's keys. Ideographs have no case,
    no case mapping produces or removes one, and upper-casing never maps a character to nothing,
    so two ideographs are adjacent in the folded text exactly when they are in the text (and the
    database's UPPER leaves them alone too). For any other term the keys only narrow the search.
    """
    return len(term) == KEY_LENGTH and all(is_ideograph(c) for c in term)


def probe(term: str, limit: int = PROBE_LIMIT) -> list[str]:
    """The keys a search for ``term`` looks up: pairs spread over the whole term, at most ``limit``.

    Pairs that do not overlap are taken from the start, and the last pair is always included, so
    that every character of the term is covered when ``limit`` allows. Empty for a term shorter
    than two characters. The order is the term's, without repeats.
    """
    pairs = _pairs(fold(term))
    if not pairs:
        return []
    chosen = [pairs[i] for i in range(0, len(pairs), KEY_LENGTH)]
    if pairs[-1] not in chosen:
        chosen.append(pairs[-1])
    unique = list(dict.fromkeys(chosen))
    if len(unique) > limit:  # keep both ends, spread the rest
        if limit < 2:
            return unique[-1:] if limit == 1 else []
        step = (len(unique) - 1) / (limit - 1)
        unique = list(dict.fromkeys(unique[round(i * step)] for i in range(limit)))
    return unique
