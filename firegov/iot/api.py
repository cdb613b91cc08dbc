"""HTTP ingestion (POST /api/iot/ingest/): sensors post the documented JSON payload with their token.

The device names itself in the payload (``device``: its code) and proves it with
``Authorization: Device <token>``. A bad payload answers 400 naming the field, a wrong or missing
token 401, a retired device 403; nothing is stored unless the whole message is taken.
"""

from __future__ import annotations

from django.db import IntegrityError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from firegov.iot import normalise, services
from firegov.iot.models import Channel, Device


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
            events = services.ingest(device, readings, Channel.HTTP)
        except IntegrityError:  # a concurrent message opened the same alarm first: apply on top of it
            events = services.ingest(device, readings, Channel.HTTP)
        return Response({"stored": len(events)}, status=status.HTTP_202_ACCEPTED)
