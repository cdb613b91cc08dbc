"""Forms of the premises registry. Attributes of a unit are form fields generated from the kernel's
attribute table, so the form, the import and `firegov classify` share one vocabulary."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from firegov.core.models import Agency, AgencyKind, Region, RegionLevel, Role
from firegov.core.scoping import known_agencies, scope
from firegov.kernels.place_types import ATTRIBUTES
from firegov.kernels.uscc import check as check_uscc
from firegov.registry.models import Building, Community, FireLane, MicroFireStation, Unit

ATTR_PREFIX = "attr_"


def attribute_label(attr) -> str:
    label = attr.en if (get_language() or "").startswith("en") else attr.zh
    return f"{label} ({attr.unit})" if getattr(attr, "unit", "") else label


def attribute_field(attr) -> forms.Field:
    kind = attr.type
    label = attribute_label(attr)
    if kind == "bool":
        return forms.NullBooleanField(label=label, required=False, widget=forms.Select(choices=[
            ("unknown", "—"), ("true", _("Yes")), ("false", _("No"))]))
    if kind == "enum":
        return forms.ChoiceField(label=label, required=False, choices=[("", "—")] + [(v.code, v.zh) for v in attr.values])
    if kind in ("int", "year"):
        return forms.IntegerField(label=label, required=False, min_value=0)
    return forms.FloatField(label=label, required=False, min_value=0)


class RegionChoiceField(forms.ModelChoiceField):
    """Regions in tree order, indented by level (a grid also names its community)."""

    def label_from_instance(self, obj):
        indent = {"province": 0, "city": 1, "county": 2, "street": 3, "community": 4, "grid": 5}[obj.level]
        return "\u3000" * indent + obj.name


class _UpperRegions(ModelChoiceIterator):
    """Offers regions down to streets; communities and grids (hundreds of them) are not listed."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.field.queryset.filter(level__in=RegionFilterField.shown_levels):
            yield self.choice(obj)

    def __len__(self):
        return self.field.queryset.filter(level__in=RegionFilterField.shown_levels).count() + 1


class RegionFilterField(RegionChoiceField):
    """A region filter: any region in scope is accepted (the API filters by community or grid id),
    the page's list offers the upper levels only."""

    shown_levels = (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.STREET)
    iterator = _UpperRegions


def scoped_region_field(user, levels=(RegionLevel.STREET, RegionLevel.COMMUNITY, RegionLevel.GRID)):
    qs = scope(user, Region.objects.filter(level__in=levels)).order_by("path")
    return RegionChoiceField(queryset=qs, label=_("Region"))


class UnitForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = [
            "name", "uscc", "place_type", "status", "region", "address", "lat", "lng", "department",
            "legal_representative", "legal_representative_phone", "responsible_person", "responsible_phone",
            "safety_manager", "safety_manager_phone",
        ]
        widgets = {"lat": forms.NumberInput(attrs={"step": "any"}), "lng": forms.NumberInput(attrs={"step": "any"})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["region"] = scoped_region_field(user)
        self.fields["department"].queryset = (known_agencies(user).filter(kind=AgencyKind.DEPARTMENT)
                                              .order_by("region_path", "name"))
        if user.role == Role.UNIT_MANAGER and self.instance.pk:
            # A unit keeps its own record but does not move itself (shown, not editable).
            self.fields["region"].queryset = Region.objects.filter(pk=self.instance.region_id)
            self.fields["department"].queryset = Agency.objects.filter(pk=self.instance.department_id)
            for name in ("region", "department", "status"):
                self.fields[name].disabled = True
        for name, attr in ATTRIBUTES.items():
            field = attribute_field(attr)
            self.fields[ATTR_PREFIX + name] = field
            if self.instance.pk and name in (self.instance.attributes or {}):
                value = self.instance.attributes[name]
                field.initial = ("true" if value else "false") if attr.type == "bool" else value

    def attribute_fields(self):
        return [self[ATTR_PREFIX + name] for name in ATTRIBUTES]

    def main_fields(self):
        return [self[name] for name in self.Meta.fields]

    def clean_uscc(self):
        code = (self.cleaned_data.get("uscc") or "").strip()
        if not code:
            return ""
        result = check_uscc(code)
        if not result.valid:
            raise ValidationError(_("Invalid unified social credit code: %(reason)s"),
                                  params={"reason": result.reason_zh if not get_language().startswith("en")
                                          else result.reason_en})
        duplicate = Unit.objects.filter(uscc=result.code).exclude(pk=self.instance.pk)
        if duplicate.exists():
            raise ValidationError(_("Another unit already has this credit code."))
        return result.code

    def clean(self):
        cleaned = super().clean()
        attributes = {}
        for name in ATTRIBUTES:
            value = cleaned.get(ATTR_PREFIX + name)
            if value in (None, ""):
                continue
            attributes[name] = value
        cleaned["attributes"] = attributes
        return cleaned

    def unit_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["attributes"] = self.cleaned_data["attributes"]
        return data

    def _post_clean(self):
        # Model validation runs in the service (registry.services.save_unit), with the user's scope.
        pass


class CommunityForm(forms.ModelForm):
    class Meta:
        model = Community
        fields = [
            "name", "region", "address", "lat", "lng", "built_year", "buildings", "households",
            "parking_spaces", "vehicles", "ebike_charging_points", "property_company", "property_phone",
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"] = scoped_region_field(user)

    def _post_clean(self):
        pass


class BuildingForm(forms.ModelForm):
    class Meta:
        model = Building
        fields = ["name", "height_m", "floors_above", "floors_below", "area_m2", "built_year", "structure"]

    def _post_clean(self):
        pass


class FireLaneForm(forms.ModelForm):
    class Meta:
        model = FireLane
        fields = ["name", "length_m", "width_m", "side_lines", "centre_boxes", "entrance_grid", "warning_signs",
                  "status", "last_checked"]
        widgets = {"last_checked": forms.DateInput(attrs={"type": "date"})}

    def _post_clean(self):
        pass


class MicroFireStationForm(forms.ModelForm):
    class Meta:
        model = MicroFireStation
        fields = ["name", "leader", "phone", "members", "equipment", "last_drill"]
        widgets = {"last_drill": forms.DateInput(attrs={"type": "date"}), "equipment": forms.Textarea(attrs={"rows": 3})}

    def _post_clean(self):
        pass


CHILD_FORMS = {"buildings": BuildingForm, "lanes": FireLaneForm, "stations": MicroFireStationForm}


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"))
