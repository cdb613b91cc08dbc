from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from firegov.campaigns import api as campaigns_api
from firegov.core import api as core_api
from firegov.core import views as core_views
from firegov.hazards import api as hazards_api
from firegov.inspections import api as inspections_api
from firegov.iot import api as iot_api
from firegov.registry import api as registry_api

router = DefaultRouter()
router.register("regions", core_api.RegionViewSet, basename="region")
router.register("agencies", core_api.AgencyViewSet, basename="agency")
router.register("units", registry_api.UnitViewSet, basename="unit")
router.register("communities", registry_api.CommunityViewSet, basename="community")
router.register("inspections", inspections_api.InspectionViewSet, basename="inspection")
router.register("draw-plans", inspections_api.DrawPlanViewSet, basename="draw-plan")
router.register("draws", inspections_api.DrawViewSet, basename="draw")
router.register("hazards", hazards_api.HazardViewSet, basename="hazard")
router.register("major-hazards", hazards_api.CaseViewSet, basename="major-hazard")
router.register("reports", hazards_api.ReportViewSet, basename="report")
router.register("campaigns", campaigns_api.CampaignViewSet, basename="campaign")
router.register("tasks", campaigns_api.TaskViewSet, basename="task")
router.register("targets", campaigns_api.TargetViewSet, basename="target")
router.register("measures", campaigns_api.MeasureViewSet, basename="measure")
router.register("accountability", campaigns_api.AccountabilityViewSet, basename="accountability")
router.register("progress-reports", campaigns_api.ProgressReportViewSet, basename="progress-report")
router.register("alarms", iot_api.AlarmViewSet, basename="alarm")
router.register("devices", iot_api.DeviceViewSet, basename="device")

urlpatterns = [
    path("", core_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(success_url="/"), name="password-change"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("inbox/", core_views.inbox, name="inbox"),
    path("inbox/read/", core_views.inbox_read, name="inbox-read"),
    path("regions/", core_views.region_list, name="region-list"),
    path("agencies/", core_views.agency_list, name="agency-list"),
    path("history/<str:model>/<int:pk>/", core_views.history, name="history"),
    path("", include("firegov.registry.urls")),
    path("", include("firegov.inspections.urls")),
    path("", include("firegov.hazards.urls")),
    path("", include("firegov.campaigns.urls")),
    path("", include("firegov.iot.urls")),
    path("admin/", admin.site.urls),
    path("api/auth/token/", core_api.TokenLogin.as_view(), name="api-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/public/reports/", hazards_api.PublicReportCreate.as_view(), name="api-public-report"),
    path("api/public/reports/<str:code>/", hazards_api.PublicReportStatus.as_view(), name="api-public-report-status"),
    path("api/iot/ingest/", iot_api.DeviceIngest.as_view(), name="api-iot-ingest"),
    path("api/", include((router.urls, "api"))),
]
