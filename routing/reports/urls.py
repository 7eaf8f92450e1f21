from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.ReportsPage.as_view(), name="reports"),
    path("today.json", views.TodayLive.as_view(), name="today"),
    path("<slug:key>.csv", views.ReportsCsv.as_view(), name="csv"),
]
