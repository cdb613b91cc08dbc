"""HTTP ingestion (POST /api/iot/ingest/): sensors post the documented JSON payload with their token.

The device names itself in the payload (``device``: its code) and proves it with
``Authorization: Device <token>``. A bad payload answers 400 naming the field, a wrong or missing
token 401, a retired device 403; nothing is stored unless the whole message is taken.
"""

from __future__ import annotations

from django.db import IntegrityError
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from firegov.core.api import ScopedViewSet, call
from firegov.iot import normalise, services
from firegov.iot.filters import AlarmFilter, DeviceFilter
from firegov.iot.lifecycle import ALARM_TRANSITIONS
from firegov.iot.models import Alarm, AlarmNote, Channel, Device, Forwarding, Verdict


class DeviceIngest(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Sensor readings and events (device token)",
        request={"application/json": {"type": "object"}},
        responses={202: OpenApiResponse(description="stored"), 400: OpenApiResponse(description="bad payload"),
                   401: OpenApiResponse(description="bad token"), 403: OpenApiResponse(description="retired")},
    )
    def post(self, request):
        try:
            code, readings = normalise.from_payload(request.data)
        except normalise.PayloadError as exc:
            return Response({"error": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        device = Device.objects.select_related("unit").filter(code=code).first()
        if device is None or scheme != "Device" or not device.token_matches(token.strip()):
            return Response({"error": "unknown device or wrong token"}, status=status.HTTP_401_UNAUTHORIZED)
        if not device.active:
            return Response({"error": "the device is out of service"}, status=status.HTTP_403_FORBIDDEN)
        try:
            stored = services.ingest(device, readings, Channel.HTTP)
        except IntegrityError:  # a concurrent message opened the same alarm first: apply on top of it
            stored = services.ingest(device, readings, Channel.HTTP)
        return Response({"stored": stored}, status=status.HTTP_202_ACCEPTED)


class AlarmNoteSerializer(serializers.ModelSerializer):
    author = serializers.StringRelatedField()

    class Meta:
        model = AlarmNote
        fields = ["action", "author", "text", "data", "at"]


class ForwardingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Forwarding
        fields = ["forwarder", "requested_at", "sent_at", "status", "attempts", "last_attempt_at", "answer", "seconds"]


class AlarmSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    device_name = serializers.CharField(source="device.name", read_only=True)
    point_label = serializers.CharField(source="point.label", read_only=True, default="")
    place = serializers.CharField(source="point.place", read_only=True, default="")
    status = serializers.CharField(read_only=True)
    assignee_name = serializers.StringRelatedField(source="assignee", read_only=True)

    class Meta:
        model = Alarm
        fields = ["id", "type", "severity", "status", "unit", "unit_name", "device", "device_name", "point_key",
                  "point_label", "place", "detail", "count", "first_at", "last_at", "cleared_at", "acknowledged_at",
                  "acknowledged_by", "assignee", "assignee_name", "verdict", "verified_at", "verified_by",
                  "verify_due_at", "forwarded_at", "hazard", "changed_at"]
        read_only_fields = fields


AlarmAction = inline_serializer("AlarmAction", {
    "action": serializers.ChoiceField(choices=list(ALARM_TRANSITIONS)),
    "note": serializers.CharField(required=False, allow_blank=True),
    "verdict": serializers.ChoiceField(choices=Verdict.choices, required=False),
    "assignee": serializers.IntegerField(required=False, help_text="user id (assign)"),
})


class AlarmViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Alarms of the user's jurisdiction; lifecycle steps through ``transition`` (409 when the state
    does not allow the step, 403 when the role may not take it, 404 outside the jurisdiction)."""

    queryset = Alarm.objects.all()
    serializer_class = AlarmSerializer
    filterset_class = AlarmFilter
    resource = "iot.alarm"

    def base_queryset(self):
        return Alarm.objects.select_related("unit", "device", "point", "point__building", "assignee").order_by(
            "-last_at", "-id")

    @extend_schema(request=AlarmAction, responses={200: AlarmSerializer})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        alarm = self.get_object()
        data = {k: request.data.get(k) for k in ("note", "verdict", "assignee")}
        alarm = call(services.act, request.user, alarm, request.data.get("action", ""), data)
        return Response(AlarmSerializer(self.base_queryset().get(pk=alarm.pk)).data)

    @extend_schema(responses={200: AlarmNoteSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def notes(self, request, pk=None):
        alarm = self.get_object()
        return Response(AlarmNoteSerializer(alarm.notes.select_related("author"), many=True).data)

    @extend_schema(responses={200: ForwardingSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def forwardings(self, request, pk=None):
        alarm = self.get_object()
        return Response(ForwardingSerializer(alarm.forwardings.all(), many=True).data)


class DeviceSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Device
        fields = ["id", "unit", "unit_name", "kind", "name", "code", "address", "vendor_profile", "floor", "room",
                  "heartbeat_s", "active", "online", "last_seen_at", "software_version", "clock_offset_s"]
        read_only_fields = fields


class DeviceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    queryset = Device.objects.all()
    serializer_class = DeviceSerializer
    filterset_class = DeviceFilter
    resource = "iot.device"

    def base_queryset(self):
        return Device.objects.select_related("unit").order_by("unit_id", "name")
