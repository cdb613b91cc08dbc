"""Hazard categories (隐患类别) from the kernel's data table, as the pages and services use them."""

from __future__ import annotations

from firegov.kernels import checklists


def all() -> list:  # noqa: A001 - reads well at the call site: categories.all()
    return list(checklists.categories())


def exists(code: str) -> bool:
    return get_or_none(code) is not None


def get_or_none(code: str):
    try:
        return checklists.category(code)
    except KeyError:
        return None


def get(code: str):
    """The category (code, zh, en, group, urgent, gb35181…); KeyError when unknown."""
    return checklists.category(code)


def label(code: str) -> str:
    category = get_or_none(code)
    return category.zh if category else code


def choices() -> list[tuple[str, str]]:
    return [(c.code, c.zh) for c in all()]
