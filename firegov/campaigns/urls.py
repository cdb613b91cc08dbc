from django.urls import path

from firegov.campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("campaigns/", views.campaign_list, name="list"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="detail"),
    path("campaigns/<int:pk>/derive/", views.campaign_derive, name="derive"),
    path("campaigns/<int:pk>/plan.xlsx", views.plan_export, name="plan-export"),
    path("campaigns/<int:pk>/import/", views.plan_import, name="plan-import"),
    path("campaigns/<int:pk>/<str:kind>.file", views.campaign_document, name="document"),
    path("campaigns/<int:pk>/documents/<int:document>/", views.stored_document, name="stored-document"),
    path("campaigns/tasks/<int:pk>/", views.task_detail, name="task"),
    path("public/campaigns/", views.public_campaigns, name="public-list"),
    path("public/campaigns/<int:pk>/", views.public_board, name="public-board"),
]
