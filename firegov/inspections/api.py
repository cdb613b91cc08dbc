"""REST API of inspections: open, answer the checklist (with photos), complete, cancel, publish."""

from __future__ import annotations

import json

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from firegov.core.api import ScopedViewSet, call
from firegov.core.scoping import as_pk, as_pks, known_agencies, scope
from firegov.inspections import draws, services
from firegov.inspections.filters import InspectionFilter
from firegov.inspections.models import Draw, DrawPlan, Inspection, InspectionAnswer, InspectionKind
from firegov.registry.models import Unit


class AnswerSerializer(serializers.ModelSerializer):
    class Meta:
        model = InspectionAnswer
        fields = ["item", "text", "result", "note", "hazard_category", "gb35181", "photo_required"]


class InspectionSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    answers = AnswerSerializer(many=True, read_only=True)
    hazards = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Inspection
        fields = ["id", "unit", "unit_name", "kind", "status", "agency", "agencies", "inspectors", "experts",
                  "checklist", "checklist_version", "planned_for", "started_at", "completed_at", "findings",
                  "result", "signed_by", "refused_to_sign", "refusal_note", "publish_due", "published_at",
                  "answers", "hazards"]
        read_only_fields = fields


class InspectionIn(serializers.Serializer):
    unit = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=InspectionKind.choices)
    inspectors = serializers.ListField(child=serializers.IntegerField(), required=False)
    agencies = serializers.ListField(child=serializers.IntegerField(), required=False)
    planned_for = serializers.DateField(required=False, allow_null=True)
    checklist = serializers.CharField(required=False, allow_blank=True)
    experts = serializers.CharField(required=False, allow_blank=True)


class InspectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    queryset = Inspection.objects.all()
    serializer_class = InspectionSerializer
    filterset_class = InspectionFilter
    resource = "inspections.inspection"
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def base_queryset(self):
        return (Inspection.objects.select_related("unit").prefetch_related("answers", "hazards")
                .order_by("-id"))

    @extend_schema(request=InspectionIn, responses={201: InspectionSerializer})
    def create(self, request):
        form = InspectionIn(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        user = request.user
        unit = get_object_or_404(scope(user, Unit.objects.alive()), pk=as_pk(data["unit"]))
        # People and agencies outside the user's reach are as unknown as missing ones: the answer
        # must not tell which exist.
        wanted = data.get("inspectors") or []
        inspectors = list(services.nameable_people(user, unit).filter(pk__in=as_pks(wanted)))
        if len(inspectors) != len(set(wanted)):
            raise ApiValidationError({"inspectors": [_("Choose existing users.")]})
        wanted = data.get("agencies") or []
        agencies = list(known_agencies(user).filter(pk__in=as_pks(wanted)))
        if len(agencies) != len(set(wanted)):
            raise ApiValidationError({"agencies": [_("Choose existing agencies.")]})
        inspection = call(services.create_inspection, user, unit, data["kind"], inspectors=inspectors,
                          agencies=agencies, planned_for=data.get("planned_for"),
                          checklist=data.get("checklist") or None, experts=data.get("experts") or "")
        return Response(InspectionSerializer(inspection).data, status=201)

    @extend_schema(request=inline_serializer("InspectionAnswers", {
        "answers": serializers.DictField(child=serializers.DictField())}), responses={200: InspectionSerializer})
    @action(detail=True, methods=["post"])
    def answers(self, request, pk=None):
        """Save answers ``{"item": {"result": "pass|fail|na", "note": ""}}``; photos as ``photo_<item>``."""
        inspection = self.get_object()
        answers = request.data.get("answers") or {}
        if isinstance(answers, str):
            try:
                answers = json.loads(answers)
            except ValueError:
                raise ApiValidationError({"answers": ["not valid JSON"]}) from None
        if not isinstance(answers, dict) or not all(isinstance(v, dict) for v in answers.values()):
            raise ApiValidationError({"answers": ["expected an object of item -> {result, note}"]})
        photos = {key[len("photo_"):]: request.FILES.getlist(key) for key in request.FILES if key.startswith("photo_")}
        call(services.record_answers, request.user, inspection, answers, photos)
        return Response(InspectionSerializer(self.get_object()).data)

    @extend_schema(request=inline_serializer("InspectionComplete", {
        "findings": serializers.CharField(required=False), "signed_by": serializers.CharField(required=False),
        "refused_to_sign": serializers.BooleanField(required=False),
        "refusal_note": serializers.CharField(required=False)}), responses={200: InspectionSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        inspection = self.get_object()
        data = {k: request.data.get(k) for k in ("findings", "signed_by", "refusal_note", "lat", "lng")}
        data["refused_to_sign"] = str(request.data.get("refused_to_sign", "")).lower() in ("1", "true", "yes", "on")
        call(services.complete, request.user, inspection, data, request.FILES.get("signature"))
        return Response(InspectionSerializer(self.get_object()).data)

    @extend_schema(request=None, responses={200: InspectionSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Begin the inspection on site (its inspectors only)."""
        call(services.start, request.user, self.get_object())
        return Response(InspectionSerializer(self.get_object()).data)

    @extend_schema(request=inline_serializer("InspectionCancel", {"note": serializers.CharField()}),
                   responses={200: InspectionSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        inspection = self.get_object()
        call(services.cancel, request.user, inspection, request.data.get("note", ""))
        return Response(InspectionSerializer(self.get_object()).data)

    @extend_schema(request=None, responses={200: InspectionSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        inspection = self.get_object()
        call(services.publish, request.user, inspection)
        return Response(InspectionSerializer(self.get_object()).data)


class DrawSerializer(serializers.ModelSerializer):
    seed = serializers.SerializerMethodField()

    class Meta:
        model = Draw
        fields = ["id", "plan", "period", "state", "seed_sha256", "inputs_sha256", "seed", "committed_at", "drawn_at",
                  "result"]
        read_only_fields = fields

    def get_seed(self, draw) -> str | None:
        return draw.seed if draw.state == "drawn" else None  # revealed only with the draw


class DrawPlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = DrawPlan
        fields = ["id", "agency", "year", "name", "rules", "publish_within_workdays"]
        read_only_fields = fields


class DrawPlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    queryset = DrawPlan.objects.all()
    serializer_class = DrawPlanSerializer
    resource = "inspections.draw"

    @extend_schema(request=inline_serializer("DrawCommit", {"period": serializers.CharField()}),
                   responses={201: DrawSerializer})
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        """Freeze the month's inputs, generate the seed, and publish the SHA-256 of each before the draw."""
        plan = self.get_object()
        draw = call(draws.commit, request.user, plan, request.data.get("period", ""))
        return Response(DrawSerializer(draw).data, status=201)


class DrawViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    queryset = Draw.objects.all()
    serializer_class = DrawSerializer
    resource = "inspections.draw"

    def base_queryset(self):
        return Draw.objects.order_by("-committed_at")

    @extend_schema(request=None, responses={200: DrawSerializer})
    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        draw = call(draws.run, request.user, self.get_object())
        return Response(DrawSerializer(draw).data)

    @extend_schema(responses={200: inline_serializer("DrawFiles", {
        "commitment": serializers.DictField(), "units": serializers.ListField(required=False),
        "inspectors": serializers.ListField(required=False), "rules": serializers.DictField(required=False),
        "result": serializers.DictField(required=False)})})
    @action(detail=True, methods=["get"])
    def files(self, request, pk=None):
        """What the commit published (``commitment``) and, once drawn, the inputs and result: the files of
        ``firegov draw verify --published commitment.json``."""
        return Response(draws.files(self.get_object()))

    @extend_schema(responses={200: inline_serializer("DrawVerify", {"ok": serializers.BooleanField()})})
    @action(detail=True, methods=["get"])
    def verify(self, request, pk=None):
        return Response(call(draws.verify, self.get_object()))
