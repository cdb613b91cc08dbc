"""REST API of campaigns, their task lists and progress reports. Every list goes through the
jurisdiction scope: a county sees its city's campaigns and its own derived lists; a department
officer sees the tasks it leads or cooperates on and its own reports."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from firegov.campaigns import documents, services
from firegov.campaigns import indicators as indicator_registry
from firegov.campaigns.models import (
    Accountability,
    Campaign,
    Measure,
    Milestone,
    Phase,
    ProgressReport,
    ReportEvent,
    Target,
    TargetValue,
    Task,
)
from firegov.core.api import ScopedPrimaryKeyRelatedField, ScopedViewSet, call
from firegov.core.filters import by_id
from firegov.core.models import Agency, Region
from firegov.core.scoping import as_pk, scope
from firegov.core.views import OFFICE_TYPES, office_file
from firegov.kernels.periods import Period


class PhaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Phase
        fields = ["name", "starts_on", "ends_on"]


class CampaignSerializer(serializers.ModelSerializer):
    phases = PhaseSerializer(many=True, required=False)
    region = ScopedPrimaryKeyRelatedField(queryset=Region.objects.all(), required=False)
    issuer = ScopedPrimaryKeyRelatedField(queryset=Agency.objects.all(), required=False)

    class Meta:
        model = Campaign
        fields = ["id", "name", "kind", "issuer", "region", "region_path", "starts_on", "ends_on", "description",
                  "public", "status", "parent", "phases", "hazard_categories", "hazard_sources"]
        read_only_fields = ["region_path", "status", "parent"]


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ["id", "title", "due_on", "done_on"]
        read_only_fields = ["id", "done_on"]


class TaskSerializer(serializers.ModelSerializer):
    campaign = ScopedPrimaryKeyRelatedField(queryset=Campaign.objects.all())
    parent = ScopedPrimaryKeyRelatedField(queryset=Task.objects.all(), required=False, allow_null=True)
    lead = ScopedPrimaryKeyRelatedField(queryset=Agency.objects.all(), with_ancestors=True)
    cooperating = ScopedPrimaryKeyRelatedField(queryset=Agency.objects.all(), with_ancestors=True, many=True,
                                                    required=False)
    region = ScopedPrimaryKeyRelatedField(queryset=Region.objects.all(), required=False)
    milestones = MilestoneSerializer(many=True, required=False)
    lead_name = serializers.CharField(source="lead.name", read_only=True)

    class Meta:
        model = Task
        fields = ["id", "campaign", "parent", "code", "title", "description", "lead", "lead_name", "cooperating",
                  "region", "starts_on", "due_on", "roadmap", "weight", "status", "source", "added_later",
                  "milestones"]
        read_only_fields = ["code", "status", "source", "added_later"]


class TargetSerializer(serializers.ModelSerializer):
    task = ScopedPrimaryKeyRelatedField(queryset=Task.objects.all())
    steps = serializers.ListField(child=serializers.DictField(), help_text='[{"by": "YYYY-MM-DD", "value": 70}]')

    class Meta:
        model = Target
        fields = ["id", "task", "label", "indicator", "params", "unit", "direction", "steps"]


class TargetValueSerializer(serializers.ModelSerializer):
    evidence = serializers.FileField(required=False, write_only=True)
    evidence_sha256 = serializers.CharField(source="evidence.sha256", read_only=True, default=None)

    class Meta:
        model = TargetValue
        fields = ["id", "on", "value", "note", "evidence", "evidence_sha256"]


class TargetStatusSerializer(serializers.Serializer):
    target = serializers.IntegerField(source="target.pk")
    label = serializers.CharField(source="target.label")
    unit = serializers.CharField(source="target.unit")
    achieved = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    next_by = serializers.SerializerMethodField()
    next_value = serializers.SerializerMethodField()
    met = serializers.BooleanField()
    missed = serializers.ListField(child=serializers.DictField())

    def get_next_by(self, status) -> str | None:
        return status["next"][0].isoformat() if status["next"] else None

    def get_next_value(self, status) -> str | None:
        return str(status["next"][1]) if status["next"] else None


class ProgressRowSerializer(serializers.Serializer):
    task = serializers.IntegerField(source="task.pk")
    code = serializers.CharField(source="task.code")
    title = serializers.CharField(source="task.title")
    lead = serializers.CharField(source="task.lead.name")
    due_on = serializers.DateField(source="task.due_on")
    progress = serializers.FloatField()
    expected = serializers.FloatField(source="judgement.expected", allow_null=True)
    colour = serializers.CharField(source="judgement.colour")
    reasons = serializers.ListField(child=serializers.CharField())
    targets = TargetStatusSerializer(many=True)


ON_PARAMETER = OpenApiParameter("on", str, description="the day judged (YYYY-MM-DD); default today")


class RegionProgressSerializer(serializers.Serializer):
    region = serializers.IntegerField(source="region.pk")
    name = serializers.CharField(source="region.name")
    lat = serializers.FloatField(source="region.lat", allow_null=True)
    lng = serializers.FloatField(source="region.lng", allow_null=True)
    derived_campaign = serializers.IntegerField(source="list.pk", allow_null=True, default=None)
    progress = serializers.FloatField(allow_null=True)
    tasks = serializers.IntegerField()
    red = serializers.IntegerField(source="counts.red")
    yellow = serializers.IntegerField(source="counts.yellow")
    green = serializers.IntegerField(source="counts.green")
    colour = serializers.CharField()


HazardCountSerializer = inline_serializer("HazardCounts", {
    "found": serializers.IntegerField(), "rectified": serializers.IntegerField(),
    "overdue": serializers.IntegerField(), "major": serializers.IntegerField()})


class CampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ScopedViewSet):
    queryset = Campaign.objects.all()
    serializer_class = CampaignSerializer
    resource = "campaigns.campaign"

    def base_queryset(self):
        return Campaign.objects.select_related("issuer").prefetch_related("phases")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        phases = data.pop("phases", [])
        serializer.instance = call(services.create_campaign, self.request.user, data, phases)

    @extend_schema(request=inline_serializer("Derive", {
        "region": serializers.IntegerField(required=False, help_text="default: the user's agency's region"),
        "name": serializers.CharField(required=False)}), responses={201: CampaignSerializer})
    @action(detail=True, methods=["post"])
    def derive(self, request, pk=None):
        """Copy the campaign's lists for the user's agency (派生清单), narrowed to its region."""
        campaign = self.get_object()
        child = call(services.derive, request.user, campaign, request.data.get("region"), request.data.get("name") or "")
        return Response(CampaignSerializer(child).data, status=201)

    @extend_schema(parameters=[ON_PARAMETER],
                   responses={200: ProgressRowSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        """The task tree with each task's progress, its expected progress and red / yellow / green
        (the tasks the user may see: a department, those it leads or cooperates on)."""
        campaign = self.get_object()
        return Response(ProgressRowSerializer(services.visible_tree(request.user, campaign, self._on()), many=True).data)

    @extend_schema(parameters=[ON_PARAMETER],
                   responses={200: RegionProgressSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def regions(self, request, pk=None):
        """Progress by subdivision of the campaign's region (the map): a derived list's completion
        where the subdivision has one, else the mean of the campaign's leaf tasks scoped inside it."""
        campaign = self.get_object()
        return Response(RegionProgressSerializer(services.region_progress(request.user, campaign, self._on()),
                                                 many=True).data)

    def _on(self):
        on = self.request.query_params.get("on")
        return serializers.DateField().to_internal_value(on) if on else None

    @extend_schema(responses={200: inline_serializer("CampaignHazards", {
        "totals": HazardCountSerializer,
        "by_region": serializers.ListField(child=serializers.DictField()),
        "by_sector": serializers.ListField(child=serializers.DictField())})})
    @action(detail=True, methods=["get"])
    def hazards(self, request, pk=None):
        """The campaign's hazard list counted: found / rectified / overdue / major, in all, by
        subdivision and by sector (the hazards the user may see)."""
        summary = services.hazard_summary(request.user, self.get_object())
        empty = dict.fromkeys(services.hazard_list_counts(), 0)
        return Response({
            "totals": summary["totals"],
            "by_region": [{"region": region.pk, "name": region.name, **(row or empty)}
                          for region, row in summary["by_region"]],
            "by_sector": [{**row, "label": str(row["label"])} for row in summary["by_sector"]],
        })

    @extend_schema(parameters=[OpenApiParameter("period", str, required=True, description="YYYY-MM")],
                   responses={(200, OFFICE_TYPES["xlsx"]): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="dispatch")
    def dispatch_sheet(self, request, pk=None):  # not "dispatch": that name is APIView's
        """The monthly dispatch sheet (.xlsx) of a month, as the month ended."""
        return self._document("dispatch")

    @extend_schema(parameters=[OpenApiParameter("period", str, required=True, description="YYYY-Qn")],
                   responses={(200, OFFICE_TYPES["docx"]): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def bulletin(self, request, pk=None):
        """The quarterly bulletin (.docx) of a quarter, as the quarter ended."""
        return self._document("bulletin")

    def _document(self, kind):
        campaign = self.get_object()
        if not services.sees_whole(self.request.user, campaign):
            raise Http404
        try:
            data, name = documents.generate(campaign, kind, Period.parse(self.request.query_params.get("period", "")))
        except ValueError as exc:
            raise serializers.ValidationError({"period": [str(exc)]}) from None
        return office_file(data, name)


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ScopedViewSet):
    queryset = Task.objects.all()
    serializer_class = TaskSerializer
    resource = "campaigns.campaign"
    filterset_class = by_id(Task, ["campaign", "parent", "lead", "status"])

    def base_queryset(self):
        return Task.objects.select_related("lead").prefetch_related("cooperating", "milestones")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        campaign = data.pop("campaign")
        parent = data.pop("parent", None)
        if not scope(self.request.user, Campaign.objects.filter(pk=campaign.pk)).exists():
            raise serializers.ValidationError({"campaign": ["unknown campaign"]})
        data["milestones"] = [dict(m) for m in data.get("milestones", [])]
        serializer.instance = call(services.add_task, self.request.user, campaign, data, parent)

    @extend_schema(request=inline_serializer("MilestoneReached", {
        "milestone": serializers.IntegerField(), "on": serializers.DateField(required=False)}),
        responses={200: TaskSerializer})
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def milestone(self, request, pk=None):
        """Mark one of the task's milestones reached (the lead agency or the issuer)."""
        task = self.get_object()
        milestone = get_object_or_404(task.milestones, pk=as_pk(request.data.get("milestone")))
        call(services.complete_milestone, request.user, milestone, request.data.get("on"))
        return Response(TaskSerializer(task).data)

    @extend_schema(request=inline_serializer("TaskStatus", {"status": serializers.CharField()}),
                   responses={200: TaskSerializer})
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        task = call(services.set_task_status, request.user, self.get_object(), request.data.get("status", ""))
        return Response(TaskSerializer(task).data)


class ReportEventSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField()

    class Meta:
        model = ReportEvent
        fields = ["action", "from_status", "to_status", "actor", "at", "note"]


class ProgressReportSerializer(serializers.ModelSerializer):
    task = ScopedPrimaryKeyRelatedField(queryset=Task.objects.all())
    events = ReportEventSerializer(many=True, read_only=True)

    class Meta:
        model = ProgressReport
        fields = ["id", "task", "agency", "period", "done", "percent", "difficulties", "escalate", "status",
                  "comment", "submitted_at", "reviewed_at", "events"]
        read_only_fields = ["agency", "status", "comment", "submitted_at", "reviewed_at"]
        extra_kwargs = {"period": {"required": False, "help_text": "YYYY-MM; default the current month"}}


class ProgressReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                            mixins.UpdateModelMixin, ScopedViewSet):
    queryset = ProgressReport.objects.all()
    serializer_class = ProgressReportSerializer
    resource = "campaigns.report"
    filterset_class = by_id(ProgressReport, ["task", "agency", "period", "status"])
    http_method_names = ["get", "post", "patch", "head", "options"]

    def base_queryset(self):
        return ProgressReport.objects.select_related("task").prefetch_related("events__actor")

    def _task(self, task):
        return get_object_or_404(scope(self.request.user, Task.objects.all()), pk=task.pk)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = call(services.save_report, self.request.user, self._task(data.pop("task")), data)

    def perform_update(self, serializer):
        report = serializer.instance
        data = {"period": report.period, "done": report.done, "percent": report.percent,
                "difficulties": report.difficulties, "escalate": report.escalate, **serializer.validated_data}
        data.pop("task", None)
        serializer.instance = call(services.save_report, self.request.user, report.task, data, report)

    @extend_schema(request=inline_serializer("ReportStep", {
        "action": serializers.ChoiceField(choices=["submit", "accept", "return"]),
        "note": serializers.CharField(required=False, allow_blank=True)}), responses={200: ProgressReportSerializer})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Submit, accept or return (with a note); 409 with a reason when the status does not allow it."""
        report = call(services.report_step, request.user, self.get_object(), request.data.get("action", ""),
                      {"note": request.data.get("note", "")})
        return Response(ProgressReportSerializer(report).data)


class TargetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ScopedViewSet):
    """Quantitative targets of tasks; ``indicator`` is one of GET /api/targets/indicators/ (computed)
    or empty (reported by hand through POST /api/targets/{id}/values/)."""

    queryset = Target.objects.all()
    serializer_class = TargetSerializer
    resource = "campaigns.campaign"
    filterset_class = by_id(Target, ["task"])
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        tasks = scope(self.request.user, Task.objects.all())
        return Target.objects.filter(task__in=tasks).select_related("task")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        task = get_object_or_404(scope(self.request.user, Task.objects.all()), pk=data.pop("task").pk)
        serializer.instance = call(services.add_target, self.request.user, task, data)

    @extend_schema(responses={200: inline_serializer("Indicator", {
        "code": serializers.CharField(), "label": serializers.CharField(), "percent": serializers.BooleanField(),
        "params": serializers.ListField(child=serializers.CharField())}, many=True)})
    @action(detail=False, methods=["get"])
    def indicators(self, request):
        """The indicators firegov computes from its own data."""
        return Response([{"code": i.code, "label": str(i.label), "percent": i.percent, "params": list(i.params)}
                         for i in indicator_registry.INDICATORS.values()])

    @extend_schema(request=TargetValueSerializer, responses={201: TargetValueSerializer})
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def values(self, request, pk=None):
        """Report the value of a manual target on a day, with a file as evidence (multipart)."""
        target = self.get_object()
        incoming = TargetValueSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        value = call(services.report_target_value, request.user, target, data, data.pop("evidence", None))
        return Response(TargetValueSerializer(value).data, status=201)


class MeasureSerializer(serializers.ModelSerializer):
    campaign = ScopedPrimaryKeyRelatedField(queryset=Campaign.objects.all())
    task = ScopedPrimaryKeyRelatedField(queryset=Task.objects.all(), required=False, allow_null=True)
    owner = ScopedPrimaryKeyRelatedField(queryset=Agency.objects.all(), with_ancestors=True)
    document_sha256 = serializers.CharField(source="document.sha256", read_only=True, default=None)

    class Meta:
        model = Measure
        fields = ["id", "campaign", "task", "title", "kind", "owner", "status", "due_on", "issued_on", "in_force_on",
                  "document_number", "document_sha256", "added_later"]
        read_only_fields = ["status", "issued_on", "in_force_on", "document_number", "added_later"]


class CreatedInCampaign:
    """Create through a campaign service, for a campaign of the user's scope (named in the body)."""

    create_service = None

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        campaign = get_object_or_404(scope(self.request.user, Campaign.objects.all()), pk=data.pop("campaign").pk)
        serializer.instance = call(self.create_service, self.request.user, campaign, data)


class MeasureViewSet(CreatedInCampaign, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     ScopedViewSet):
    """The measures list (措施清单): regulations, policies, mechanisms and standards of a campaign."""

    queryset = Measure.objects.all()
    serializer_class = MeasureSerializer
    resource = "campaigns.campaign"
    filterset_class = by_id(Measure, ["campaign", "owner", "status", "kind"])
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def base_queryset(self):
        return Measure.objects.select_related("document")

    create_service = staticmethod(services.add_measure)

    @extend_schema(request=inline_serializer("MeasureStep", {
        "on": serializers.DateField(required=False), "document_number": serializers.CharField(required=False),
        "document": serializers.FileField(required=False)}), responses={200: MeasureSerializer})
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def advance(self, request, pk=None):
        """Drafting → issued (document number, date, file) → in force (date); 409 once in force."""
        measure = call(services.advance_measure, request.user, self.get_object(), request.data,
                       request.FILES.get("document"))
        return Response(MeasureSerializer(measure).data)


class AccountabilitySerializer(serializers.ModelSerializer):
    campaign = ScopedPrimaryKeyRelatedField(queryset=Campaign.objects.all())
    agency = ScopedPrimaryKeyRelatedField(queryset=Agency.objects.all(), with_ancestors=True)
    tasks = ScopedPrimaryKeyRelatedField(queryset=Task.objects.all(), many=True, required=False)

    class Meta:
        model = Accountability
        fields = ["id", "campaign", "agency", "kind", "on", "reason", "tasks", "follow_up_due", "follow_up",
                  "followed_up_on"]
        read_only_fields = ["follow_up", "followed_up_on"]
        extra_kwargs = {"on": {"required": False}}


class AccountabilityViewSet(CreatedInCampaign, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            mixins.CreateModelMixin, ScopedViewSet):
    """Warnings and interviews of lagging agencies (推进不力), and their follow-up."""

    queryset = Accountability.objects.all()
    serializer_class = AccountabilitySerializer
    resource = "campaigns.campaign"
    filterset_class = by_id(Accountability, ["campaign", "agency", "kind"])

    def base_queryset(self):
        # A record may name tasks the reader does not see (another county's): list only those it sees.
        return Accountability.objects.prefetch_related(
            Prefetch("tasks", queryset=scope(self.request.user, Task.objects.all())))

    create_service = staticmethod(services.hold_to_account)

    @extend_schema(request=inline_serializer("FollowUp", {
        "follow_up": serializers.CharField(), "on": serializers.DateField(required=False)}),
        responses={200: AccountabilitySerializer})
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated], url_path="follow-up")
    def follow_up(self, request, pk=None):
        call(services.record_follow_up, request.user, self.get_object(), request.data)
        return Response(AccountabilitySerializer(self.get_object()).data)
