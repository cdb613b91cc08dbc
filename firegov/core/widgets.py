"""Select widgets rendered in Python.

Django renders every <option> through the template engine; a filter form with a few hundred
options cost more than the database queries of the page (bench/units_list.py). These widgets
produce the same HTML directly, with the same escaping.
"""

from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe


class FastSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(v) for v in self.format_value(value)}
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        if self.allow_multiple_selected:
            final_attrs["multiple"] = True
        options = format_html_join(
            "", "<option value=\"{}\"{}>{}</option>",
            ((option_value, mark_safe(" selected") if str(option_value) in selected else "", label)
             for option_value, label in self._flat_choices()),
        )
        return format_html("<select{}>{}</select>", flatatt(final_attrs), options)

    def _flat_choices(self):
        for option_value, label in self.choices:
            if isinstance(label, (list, tuple)):  # option groups are flattened
                yield from ((v, lbl) for v, lbl in label)
            else:
                yield ("" if option_value is None else getattr(option_value, "value", option_value), label)


class FastSelectMultiple(FastSelect, forms.SelectMultiple):
    allow_multiple_selected = True
