from django.urls import path

from . import views

app_name = "digital"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("console/digital/queues/", views.QueueListView.as_view(), name="queue_list"),
    path("console/digital/queues/add/", views.QueueEditView.as_view(), name="queue_add"),
    path("console/digital/queues/<int:pk>/", views.QueueEditView.as_view(), name="queue_edit"),
    path("console/digital/queues/<int:pk>/delete/", views.QueueDeleteView.as_view(), name="queue_delete"),
    path("console/digital/filters/", views.FilterListView.as_view(template_name="digital/filter_list.html"), name="filter_list"),
    path("console/digital/filters/add/", views.FilterEditView.as_view(), name="filter_add"),
    path("console/digital/filters/<int:pk>/", views.FilterEditView.as_view(), name="filter_edit"),
    path("console/digital/filters/<int:pk>/delete/", views.FilterDeleteView.as_view(), name="filter_delete"),
    path("console/digital/filters/try/", views.FilterTryView.as_view(), name="filter_try"),
]
