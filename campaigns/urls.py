from django.urls import path

from . import views

app_name = "campaigns"
urlpatterns = [
    path("contact-lists/", views.ContactListsPage.as_view(), name="list_list"),
    path("contact-lists/<int:pk>/", views.ContactListPage.as_view(), name="list_detail"),
    path("contact-lists/<int:pk>/progress.json", views.ContactListProgressJson.as_view(), name="list_progress"),
    path("contact-lists/<int:pk>/download.csv", views.ContactListDownload.as_view(), name="list_download"),
    path("campaigns/", views.CampaignsPage.as_view(), name="campaign_list"),
    path("campaigns/new/", views.CampaignEditPage.as_view(), name="campaign_add"),
    path("campaigns/preview.json", views.PreviewJson.as_view(), name="campaign_preview"),
    path("campaigns/<int:pk>/", views.CampaignPage.as_view(), name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", views.CampaignEditPage.as_view(), name="campaign_edit"),
    path("campaigns/<int:pk>/progress.json", views.ProgressJson.as_view(), name="campaign_progress"),
    path("campaigns/<int:pk>/results.csv", views.ResultsCsv.as_view(), name="campaign_results"),
    path("campaigns/<int:pk>/<slug:action>/", views.CampaignAction.as_view(), name="campaign_action"),
]
