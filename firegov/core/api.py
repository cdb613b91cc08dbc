"""REST API base: pagination, role permissions, scoped viewsets, token login; regions and agencies."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.throttling import ScopedRateThrottle

from firegov.core.filters import AgencyFilter, RegionFilter
from firegov.core.lifecycle import TransitionError
from firegov.core.models import Agency, Region
from firegov.core.roles import can
from firegov.core.scoping import as_pk, scope

ACTIONS = {"GET": "view", "HEAD": "view", "OPTIONS": "view", "POST": "add", "PUT": "change", "PATCH": "change",
           "DELETE": "delete"}


def call(func, *args, **kwargs):
    """Run a service call and turn its refusals into API answers."""
    try:
        return func(*args, **kwargs)
    except TransitionError as exc:
        raise Conflict(exc.message, exc.code) from exc
    except ValidationError as exc:
        raise ApiValidationError(exc.message_dict if hasattr(exc, "message_dict") else exc.messages) from exc
    except PermissionDenied as exc:
        message = str(exc)
        if not message:
            raise Http404 from exc
        raise ApiPermissionDenied(message) from exc


class Conflict(ApiValidationError):
    status_code = status.HTTP_409_CONFLICT

    def __init__(self, message, code):
        super().__init__({"detail": message, "code": code})


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference to a row the requesting user may see. A row outside the user's jurisdiction gets
    the very answer a missing one gets ("object does not exist"): a create path is no oracle for
    what exists elsewhere. ``with_ancestors`` also admits the rows of the regions above the user's
    (the agencies a county may name)."""

    def __init__(self, *, with_ancestors: bool | None = None, **kwargs):
        self.with_ancestors = with_ancestors
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return scope(getattr(request, "user", None), super().get_queryset(), with_ancestors=self.with_ancestors)

    def to_internal_value(self, data):
        # The value the object already has is taken back as it is: a record sent back unchanged
        # (a unit manager's own unit names a region the manager does not administer).
        instance = getattr(self.parent, "instance", None)
        if instance is not None and not isinstance(self.parent, serializers.ManyRelatedField):
            current = getattr(instance, self.source, None)
            if current is not None and as_pk(data) == current.pk:
                return current
        return super().to_internal_value(data)


class RolePermission(permissions.BasePermission):
    """The role table (firegov.core.roles) decides; an unseen resource answers 404, not 403."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        if not can(request.user, "view", view.resource):
            raise Http404
        needed = ACTIONS.get(request.method, "view")
        if request.method == "POST" and getattr(view, "detail", False):
            needed = "change"  # an action on an existing object (a lifecycle transition)
        return can(request.user, needed, view.resource)


class ScopedViewSet(viewsets.GenericViewSet):
    """A viewset whose every queryset goes through the jurisdiction scope."""

    resource = ""
    permission_classes = [permissions.IsAuthenticated, RolePermission]

    def base_queryset(self):
        return self.queryset.all()

    def get_queryset(self):
        return scope(self.request.user, self.base_queryset())


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "name", "level", "code", "path", "parent", "official_code", "lat", "lng"]


class AgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["id", "name", "short_name", "kind", "sector", "region", "parent", "phone", "address"]


class RegionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    queryset = Region.objects.all()
    serializer_class = RegionSerializer
    filterset_class = RegionFilter
    ordering_fields = ["path", "name"]
    resource = "core.region"


class AgencyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    queryset = Agency.objects.all()
    serializer_class = AgencySerializer
    filterset_class = AgencyFilter
    ordering_fields = ["name", "kind"]
    resource = "core.agency"


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class TokenLogin(ObtainAuthToken):
    """POST username and password, get {"token": …}. Rate-limited; failures count for django-axes."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(responses=TokenSerializer)
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
