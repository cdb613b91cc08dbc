from django.urls import path

from firegov.iot import views

app_name = "iot"

urlpatterns = [
    path("monitoring/", views.console, name="console"),
    path("monitoring/stream/", views.stream, name="stream"),
    path("monitoring/alarms/", views.alarm_list, name="alarm-list"),
    path("monitoring/alarms/<int:pk>/", views.alarm_detail, name="alarm-detail"),
    path("monitoring/alarms/<int:pk>/action/", views.alarm_action, name="alarm-action"),
    path("monitoring/devices/", views.device_list, name="device-list"),
    path("monitoring/devices/<int:pk>/", views.device_detail, name="device-detail"),
    path("monitoring/stats/", views.stats, name="stats"),
]
