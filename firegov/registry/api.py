"""REST API of the premises registry: units and communities, with the pages' filters and scope."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from rest_framework import mixins, serializers
from rest_framework.exceptions import ValidationError as ApiValidationError

from firegov.core.api import ScopedPrimaryKeyRelatedField, ScopedViewSet
from firegov.core.models import Agency, Region
from firegov.core.pagination import SearchCappedPagination
from firegov.kernels.uscc import check as check_uscc
from firegov.registry import search, services
from firegov.registry.filters import CommunityFilter, UnitFilter
from firegov.registry.models import CLASSIFICATION_FLAGS, Community, Unit


class ReasonSerializer(serializers.Serializer):
    rule = serializers.CharField()
    clause = serializers.CharField()
    text = serializers.CharField()
    verified = serializers.BooleanField(required=False)


class UnitSerializer(serializers.ModelSerializer):
    region = ScopedPrimaryKeyRelatedField(queryset=Region.objects.all())
    department = ScopedPrimaryKeyRelatedField(queryset=Agency.objects.all(), with_ancestors=True, allow_null=True,
                                                    required=False)
    classification = ReasonSerializer(many=True, read_only=True)

    class Meta:
        model = Unit
        fields = [
            "id", "name", "uscc", "place_type", "status", "region", "address", "lat", "lng", "department",
            "sector", "attributes", "legal_representative", "legal_representative_phone", "responsible_person",
            "responsible_phone", "safety_manager", "safety_manager_phone",
            *(flag for flag, _label in CLASSIFICATION_FLAGS), "classification", "created_at", "updated_at",
        ]
        read_only_fields = ["sector", *(flag for flag, _label in CLASSIFICATION_FLAGS), "classification",
                            "created_at", "updated_at"]

    def validate_uscc(self, value):
        value = (value or "").strip()
        if not value:
            return ""
        result = check_uscc(value)
        if not result.valid:
            raise serializers.ValidationError(f"{result.reason_zh} / {result.reason_en}")
        return result.code


def _save(serializer, user, instance=None):
    try:
        return services.save_unit(user, dict(serializer.validated_data), instance)
    except ValidationError as exc:
        raise ApiValidationError(exc.message_dict if hasattr(exc, "message_dict") else exc.messages) from exc
    except PermissionDenied as exc:
        raise Http404 from exc


class UnitPagination(SearchCappedPagination):
    @property
    def count_cap(self) -> int:  # the page's cap, read when used
        return search.COUNT_CAP


class UnitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  mixins.UpdateModelMixin, mixins.DestroyModelMixin, ScopedViewSet):
    queryset = Unit.objects.all()
    serializer_class = UnitSerializer
    filterset_class = UnitFilter
    pagination_class = UnitPagination
    ordering_fields = ["id", "name", "updated_at"]
    resource = "registry.unit"

    def base_queryset(self):
        return Unit.objects.alive().order_by("-id")

    def perform_create(self, serializer):
        serializer.instance = _save(serializer, self.request.user)

    def perform_update(self, serializer):
        serializer.instance = _save(serializer, self.request.user, serializer.instance)

    def perform_destroy(self, instance):
        try:
            services.delete_unit(self.request.user, instance)
        except PermissionDenied as exc:
            raise Http404 from exc


class CommunitySerializer(serializers.ModelSerializer):
    region = ScopedPrimaryKeyRelatedField(queryset=Region.objects.all())
    is_old = serializers.BooleanField(read_only=True)

    class Meta:
        model = Community
        fields = ["id", "name", "region", "address", "lat", "lng", "built_year", "is_old", "buildings", "households",
                  "parking_spaces", "vehicles", "ebike_charging_points", "property_company", "property_phone"]


class CommunityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                       mixins.UpdateModelMixin, ScopedViewSet):
    queryset = Community.objects.all()
    serializer_class = CommunitySerializer
    filterset_class = CommunityFilter
    ordering_fields = ["name", "built_year"]
    resource = "registry.community"

    def _save(self, serializer, instance=None):
        try:
            serializer.instance = services.save_community(self.request.user, dict(serializer.validated_data),
                                                          instance)
        except ValidationError as exc:
            raise ApiValidationError(exc.message_dict) from exc
        except PermissionDenied as exc:
            raise Http404 from exc

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)
