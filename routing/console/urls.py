from django.urls import path

from ..ops.console import EraseContactView
from . import tryit, views

app_name = "console"


def crud(prefix, route, list_view, edit_view, delete_view):
    return [
        path(f"{route}/", list_view.as_view(), name=f"{prefix}_list"),
        path(f"{route}/add/", edit_view.as_view(), name=f"{prefix}_add"),
        path(f"{route}/<int:pk>/", edit_view.as_view(), name=f"{prefix}_edit"),
        path(f"{route}/<int:pk>/delete/", delete_view.as_view(), name=f"{prefix}_delete"),
    ]


urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    *crud("user", "users", views.UserListView, views.UserEditView, views.UserDeleteView),
    *crud("team", "teams", views.TeamListView, views.TeamEditView, views.TeamDeleteView),
    *crud("skill", "skills", views.SkillListView, views.SkillEditView, views.SkillDeleteView),
    *crud("canned", "canned-responses", views.CannedResponseListView, views.CannedResponseEditView, views.CannedResponseDeleteView),
    *crud("disposition", "dispositions", views.DispositionListView, views.DispositionEditView, views.DispositionDeleteView),
    *crud("unavailable_reason", "unavailable-reasons", views.UnavailableReasonListView, views.UnavailableReasonEditView,
          views.UnavailableReasonDeleteView),
    *crud("carrier", "carrier-accounts", views.CarrierAccountListView, views.CarrierAccountEditView, views.CarrierAccountDeleteView),
    *crud("poc", "points-of-contact", views.PointOfContactListView, views.PointOfContactEditView, views.PointOfContactDeleteView),
    *crud("rule", "points-of-contact/<int:poc_pk>/rules", views.RoutingRuleListView, views.RoutingRuleEditView,
          views.RoutingRuleDeleteView),
    path("points-of-contact/<int:poc_pk>/rules/<int:pk>/move/<str:direction>/", views.RoutingRuleMoveView.as_view(), name="rule_move"),
    # The routing script's "try it" box.
    path("points-of-contact/<int:pk>/try/", tryit.try_script, name="routing-try"),
    path("settings/", views.SettingsView.as_view(), name="settings"),
    path("api-tokens/", views.TokenListView.as_view(), name="tokens"),
    path("api-tokens/<int:user_pk>/revoke/", views.TokenRevokeView.as_view(), name="token_revoke"),
    path("forced-disconnect/", views.ForcedDisconnectView.as_view(), name="forced_disconnect"),
    path("erase-contact/", EraseContactView.as_view(), name="erase_contact"),
]
