"""REST API of hazards (transitions as actions), major-hazard cases and public reports.

An illegal transition answers 409 with the reason; a role that may not act answers 403; anything
outside the user's jurisdiction answers 404. The public report endpoints need no login.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from firegov.core.api import ScopedPrimaryKeyRelatedField, ScopedViewSet, call
from firegov.core.models import Agency, Region
from firegov.core.pagination import CappedPagination
from firegov.core.scoping import as_pk, as_pks, scope
from firegov.hazards import reports, services
from firegov.hazards.filters import LIST_COUNT_CAP, CaseFilter, HazardFilter, ReportFilter
from firegov.hazards.models import (
    Hazard,
    HazardEvent,
    HazardSource,
    MajorHazardCase,
    PublicReport,
    RewardTier,
)
from firegov.inspections.services import officers_for
from firegov.registry.models import Unit


class HazardEventSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField()

    class Meta:
        model = HazardEvent
        fields = ["action", "from_status", "to_status", "actor", "at", "note", "data"]


class HazardSerializer(serializers.ModelSerializer):
    unit = ScopedPrimaryKeyRelatedField(queryset=Unit.objects.all())
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    overdue = serializers.BooleanField(read_only=True)
    notice_number = serializers.CharField(source="notice.number", read_only=True, default=None)

    class Meta:
        model = Hazard
        fields = ["id", "unit", "unit_name", "source", "category", "description", "location", "lat", "lng",
                  "severity", "gb35181", "fixable_at_once", "found_by", "found_at", "inspection", "agency",
                  "status", "notice_number", "due_at", "submitted_at", "reinspect_due_at", "interim_measures",
                  "closed_at", "overdue", "sector"]
        read_only_fields = ["found_by", "found_at", "inspection", "agency", "status", "due_at", "submitted_at",
                            "reinspect_due_at", "interim_measures", "closed_at", "sector", "severity"]
        extra_kwargs = {"source": {"required": False, "help_text": "on creation: a grid worker's is patrol, a unit "
                                   "manager's self; the others' inspection (the default) or campaign, and "
                                   "a fire officer's also patrol"}}


TransitionSerializer = inline_serializer("HazardTransition", {
    "action": serializers.ChoiceField(choices=["confirm", "invalidate", "correct", "order", "start", "interim",
                                               "submit", "extend", "reinspect"]),
    "note": serializers.CharField(required=False, allow_blank=True),
    "due": serializers.DateField(required=False, help_text="deadline (order, extend, failed re-inspection)"),
    "passed": serializers.BooleanField(required=False, allow_null=True, default=None),
})


class HazardPagination(CappedPagination):
    count_cap = LIST_COUNT_CAP


class HazardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ScopedViewSet):
    queryset = Hazard.objects.all()
    serializer_class = HazardSerializer
    filterset_class = HazardFilter
    pagination_class = HazardPagination
    resource = "hazards.hazard"
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def base_queryset(self):
        return Hazard.objects.select_related("unit", "notice").order_by("-id")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        unit = data.pop("unit")
        if not scope(self.request.user, Unit.objects.alive().filter(pk=unit.pk)).exists():
            raise ApiValidationError({"unit": ["unknown unit"]})
        allowed = services.manual_sources(self.request.user)
        source = data.pop("source", None) or allowed[0]
        if source not in allowed:
            raise ApiValidationError({"source": [_("A hazard you record can only have the source %(allowed)s.")
                                                 % {"allowed": "、".join(str(HazardSource(s).label) for s in allowed)}]})
        serializer.instance = call(services.report_hazard, self.request.user, unit, data, source=source,
                                   photos=self.request.FILES.getlist("photos"))

    @extend_schema(request=TransitionSerializer, responses={200: HazardSerializer})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Take a lifecycle action; 409 with a reason when the hazard's status does not allow it."""
        hazard = self.get_object()
        data = request.data.copy() if hasattr(request.data, "copy") else dict(request.data)
        act = data.get("action", "")
        if data.get("due"):
            data["due"] = serializers.DateField().to_internal_value(data["due"])
        hazard = call(services.transition, request.user, hazard, act,
                      {k: data.get(k) for k in ("note", "due", "passed")}, files=request.FILES.getlist("photos"))
        return Response(HazardSerializer(hazard).data)

    @extend_schema(responses={200: HazardEventSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        hazard = self.get_object()
        return Response(HazardEventSerializer(hazard.events.select_related("actor"), many=True).data)


class CaseSerializer(serializers.ModelSerializer):
    hazards = ScopedPrimaryKeyRelatedField(many=True, queryset=Hazard.objects.all())
    unit = ScopedPrimaryKeyRelatedField(queryset=Unit.objects.all())
    notice_number = serializers.CharField(source="notice.number", read_only=True, default=None)

    class Meta:
        model = MajorHazardCase
        fields = ["id", "unit", "hazards", "status", "standard", "place_kinds", "items", "direct_items",
                  "exemptions", "judgement", "proposed_at", "decision_due", "participants", "experts",
                  "experts_agreeing", "conclusion", "determined_at", "notice_number", "notice_due", "notice_served_at",
                  "notice_received_by",
                  "listing_level", "listing_authority", "plan", "funds", "rectify_due", "officials", "listed_at",
                  "rectified_at", "accepted_at", "delisted_at"]
        read_only_fields = [f for f in fields if f not in ("unit", "hazards", "place_kinds", "items",
                                                           "direct_items", "exemptions")]


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ScopedViewSet):
    queryset = MajorHazardCase.objects.all()
    serializer_class = CaseSerializer
    filterset_class = CaseFilter
    resource = "hazards.case"

    def base_queryset(self):
        return MajorHazardCase.objects.select_related("notice").prefetch_related("hazards").order_by("-id")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = call(services.propose_case, self.request.user, data.pop("unit"),
                                   list(data.pop("hazards")), data)

    @extend_schema(request=inline_serializer("CaseTransition", {"action": serializers.CharField()}),
                   responses={200: CaseSerializer})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        case = self.get_object()
        data = dict(request.data.items()) if hasattr(request.data, "items") else {}
        for many in ("participants", "experts"):
            if hasattr(request.data, "getlist") and len(request.data.getlist(many)) > 1:
                data[many] = request.data.getlist(many)
        case = call(services.case_transition, request.user, case, data.pop("action", ""), data)
        return Response(CaseSerializer(case).data)


class ReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = PublicReport
        fields = ["id", "tracking_code", "region", "place", "address", "description", "category", "contact_name",
                  "contact_phone", "submitted_at", "status", "urgent", "duplicate_of", "agency", "unit",
                  "triaged_at", "check_due", "inspection", "hazard", "result", "answered_at", "reward_tier", "reward_amount", "reward_paid_at",
                  "reward_reference"]
        read_only_fields = fields


class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    queryset = PublicReport.objects.all()
    serializer_class = ReportSerializer
    filterset_class = ReportFilter
    resource = "hazards.report"

    def base_queryset(self):
        return PublicReport.objects.order_by("-submitted_at")

    @extend_schema(request=inline_serializer("ReportConclude", {
        "valid": serializers.BooleanField(), "result": serializers.CharField(),
        "unit": serializers.IntegerField(required=False), "category": serializers.CharField(required=False)}),
        responses={200: ReportSerializer})
    @action(detail=True, methods=["post"])
    def conclude(self, request, pk=None):
        report = self.get_object()
        unit = None
        if request.data.get("unit") not in (None, ""):
            unit = get_object_or_404(scope(request.user, Unit.objects.alive()), pk=as_pk(request.data["unit"]))
        valid = str(request.data.get("valid", "")).lower() in ("1", "true", "yes")
        report = call(reports.conclude, request.user, report, valid, request.data.get("result", ""), unit,
                      request.data.get("category", ""))
        return Response(ReportSerializer(report).data)

    @extend_schema(request=inline_serializer("ReportInspect", {
        "unit": serializers.IntegerField(), "inspectors": serializers.ListField(child=serializers.IntegerField())}),
        responses={200: ReportSerializer})
    @action(detail=True, methods=["post"])
    def inspect(self, request, pk=None):
        """Open the complaint inspection of the reported unit (at least two inspectors)."""
        report = self.get_object()
        unit = get_object_or_404(scope(request.user, Unit.objects.alive()), pk=as_pk(request.data.get("unit")))
        wanted = request.data.get("inspectors") or []
        pks = as_pks(wanted) if isinstance(wanted, list) else []
        if not isinstance(wanted, list) or len(pks) != len(wanted):
            raise ApiValidationError({"inspectors": ["a list of user ids"]})
        people = list(officers_for(request.user).filter(pk__in=pks))
        if len(people) != len(set(pks)):
            raise ApiValidationError({"inspectors": ["not an inspector in your jurisdiction"]})
        return Response(ReportSerializer(call(reports.open_inspection, request.user, report, unit, people)).data)

    @extend_schema(request=inline_serializer("ReportDuplicate", {"duplicate_of": serializers.IntegerField()}),
                   responses={200: ReportSerializer})
    @action(detail=True, methods=["post"])
    def duplicate(self, request, pk=None):
        """Join the report to an earlier report of the same thing."""
        report = self.get_object()
        original = scope(request.user, PublicReport.objects.all()).filter(
            pk=as_pk(request.data.get("duplicate_of"))).first()
        return Response(ReportSerializer(call(reports.mark_duplicate, request.user, report, original)).data)

    @extend_schema(request=inline_serializer("ReportAssign", {
        "agency": serializers.IntegerField(),
        "category": serializers.CharField(required=False, allow_blank=True,
                                          help_text="classify anew (decides the 24-hour or 3-working-day check)")}),
        responses={200: ReportSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Assign for checking, or move to another agency before the complaint inspection is opened."""
        report = self.get_object()
        agency = Agency.objects.filter(pk=as_pk(request.data.get("agency"))).first()
        category = request.data.get("category")
        if category is not None and not isinstance(category, str):
            raise ApiValidationError({"category": ["must be a category code"]})
        return Response(ReportSerializer(call(reports.assign, request.user, report, agency, category)).data)

    @extend_schema(request=inline_serializer("ReportAward", {"tier": serializers.CharField()}),
                   responses={200: ReportSerializer})
    @action(detail=True, methods=["post"])
    def award(self, request, pk=None):
        report = self.get_object()
        tier = RewardTier.objects.filter(code=request.data.get("tier", "")).first()
        if tier is None:
            raise ApiValidationError({"tier": ["unknown reward tier"]})
        return Response(ReportSerializer(call(reports.award, request.user, report, tier)).data)

    @extend_schema(request=inline_serializer("ReportPay", {"reference": serializers.CharField()}),
                   responses={200: ReportSerializer})
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        report = self.get_object()
        return Response(ReportSerializer(call(reports.record_payment, request.user, report,
                                              request.data.get("reference", ""))).data)


class PublicReportIn(serializers.Serializer):
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all())
    place = serializers.CharField(max_length=120)
    address = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=2000)
    category = serializers.CharField(required=False, allow_blank=True)
    contact_name = serializers.CharField(required=False, allow_blank=True, max_length=40)
    contact_phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    photos = serializers.ListField(child=serializers.ImageField(), required=False, max_length=reports.MAX_PHOTOS)


class PublicStatusSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display")

    class Meta:
        model = PublicReport
        fields = ["tracking_code", "submitted_at", "status", "status_display", "check_due", "result", "answered_at"]


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


class PublicReportCreate(APIView):
    """Report a hazard without an account; the answer carries the tracking code."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "public_report"
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(request=PublicReportIn, responses={201: PublicStatusSerializer})
    def post(self, request):
        form = PublicReportIn(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        photos = request.FILES.getlist("photos")
        report = call(reports.submit, data, photos, client_ip(request))
        return Response(PublicStatusSerializer(report).data, status=status.HTTP_201_CREATED)


class PublicReportStatus(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "public_track"

    @extend_schema(responses={200: PublicStatusSerializer})
    def get(self, request, code):
        report = reports.track(code)
        if report is None:
            raise Http404
        return Response(PublicStatusSerializer(report).data)
