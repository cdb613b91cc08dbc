from django.urls import path

from firegov.hazards import views

app_name = "hazards"

urlpatterns = [
    path("hazards/", views.hazard_list, name="hazard-list"),
    path("hazards/new/", views.hazard_create, name="hazard-create"),
    path("hazards/export.xlsx", views.hazard_export, name="hazard-export"),
    path("hazards/stats/", views.hazard_stats, name="hazard-stats"),
    path("hazards/<int:pk>/", views.hazard_detail, name="hazard-detail"),
    path("hazards/<int:pk>/action/", views.hazard_action, name="hazard-action"),
    path("hazards/documents/<int:pk>/", views.document_detail, name="document-detail"),
    path("hazards/units/<int:pk>/timeline/", views.unit_timeline, name="unit-timeline"),
    path("hazards/major/", views.case_list, name="case-list"),
    path("hazards/major/new/", views.case_create, name="case-create"),
    path("hazards/major/<int:pk>/", views.case_detail, name="case-detail"),
    path("hazards/major/<int:pk>/action/", views.case_action, name="case-action"),
    path("hazards/reports/", views.report_list, name="report-list"),
    path("hazards/reports/<int:pk>/", views.report_detail, name="report-detail"),
    path("hazards/reports/<int:pk>/action/", views.report_action, name="report-action"),
    path("public/report/", views.public_report, name="public-report"),
    path("public/report/track/", views.public_track, name="public-track"),
    path("public/major-hazards/", views.public_major_hazards, name="public-major"),
]
