from django.urls import path

from firegov.inspections import views

app_name = "inspections"

urlpatterns = [
    path("inspections/", views.inspection_list, name="inspection-list"),
    path("inspections/new/", views.inspection_create, name="inspection-create"),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection-detail"),
    path("inspections/<int:pk>/answers/", views.inspection_answers, name="inspection-answers"),
    path("inspections/<int:pk>/complete/", views.inspection_complete, name="inspection-complete"),
    path("inspections/<int:pk>/action/", views.inspection_action, name="inspection-action"),
    path("inspections/<int:pk>/record/", views.inspection_record, name="inspection-record"),
    path("inspections/draws/", views.draw_plan_list, name="draw-plans"),
    path("inspections/draws/plans/<int:pk>/", views.draw_plan_detail, name="draw-plan"),
    path("inspections/draws/<int:pk>/", views.draw_detail, name="draw"),
    path("public/inspections/", views.public_results, name="public-results"),
    path("public/draws/", views.public_draws, name="public-draws"),
    path("public/draws/<int:pk>/", views.public_draw, name="public-draw"),
]
