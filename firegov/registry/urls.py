from django.urls import path

from firegov.registry import views

app_name = "registry"

urlpatterns = [
    path("units/", views.unit_list, name="unit-list"),
    path("units/new/", views.unit_create, name="unit-create"),
    path("units/export.xlsx", views.unit_export, name="unit-export"),
    path("units/map/", views.unit_map, name="unit-map"),
    path("units/map/points.json", views.unit_geojson, name="unit-geojson"),
    path("units/import/", views.unit_import, name="unit-import"),
    path("units/import/template.xlsx", views.unit_import_template, name="unit-import-template"),
    path("units/import/preview/", views.unit_import_preview, name="unit-import-preview"),
    path("units/import/commit/", views.unit_import_commit, name="unit-import-commit"),
    path("units/import/errors.xlsx", views.unit_import_errors, name="unit-import-errors"),
    path("units/<int:pk>/", views.unit_detail, name="unit-detail"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit-edit"),
    path("units/<int:pk>/delete/", views.unit_delete, name="unit-delete"),
    path("units/<int:pk>/attach/", views.unit_attach, name="unit-attach"),
    path("units/<int:parent_pk>/<str:kind>/new/", views.child_form, {"parent_kind": "unit"},
         name="unit-child-create"),
    path("units/<int:parent_pk>/<str:kind>/<int:pk>/", views.child_form, {"parent_kind": "unit"},
         name="unit-child-edit"),
    path("communities/<int:parent_pk>/<str:kind>/new/", views.child_form, {"parent_kind": "community"},
         name="community-child-create"),
    path("communities/<int:parent_pk>/<str:kind>/<int:pk>/", views.child_form, {"parent_kind": "community"},
         name="community-child-edit"),
    path("communities/", views.community_list, name="community-list"),
    path("communities/new/", views.community_create, name="community-create"),
    path("communities/<int:pk>/", views.community_detail, name="community-detail"),
    path("communities/<int:pk>/edit/", views.community_edit, name="community-edit"),
]
