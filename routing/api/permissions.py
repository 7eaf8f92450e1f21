"""Who may do what in the REST API, by role.

Tenant scoping is not decided here: every queryset comes from a routing.selectors *_for(user)
function, so another tenant's object is a 404 whatever the role. This module only answers "may
this role read / write this kind of resource", which gives 403.

| role        | who                      |
| ----------- | ------------------------ |
| operator    | Django superuser          |
| admin       | tenant administrator      |
| supervisor  | read-only                 |
| agent       | the workspace: themself, their rooms, skills/teams/points of contact of their tenant |

A view declares `read_roles` and `write_roles`, and may override single actions with
`action_roles = {"accept": AGENT_ONLY, ...}` (viewsets) or `method_roles = {"GET": ..., "PUT": ...}`
(plain API views). A method the view does not implement is let through, so it answers 405.
"""
from rest_framework.permissions import SAFE_METHODS, BasePermission

from ..choices import Role

OPERATOR = "operator"
ADMIN, SUPERVISOR, AGENT = Role.ADMIN.value, Role.SUPERVISOR.value, Role.AGENT.value

EVERYONE = frozenset({OPERATOR, ADMIN, SUPERVISOR, AGENT})
MANAGERS = frozenset({OPERATOR, ADMIN, SUPERVISOR})  # read the whole tenant, including configuration agents do not need
CONFIGURERS = frozenset({OPERATOR, ADMIN})
OPERATOR_ONLY = frozenset({OPERATOR})
ADMIN_ONLY = frozenset({ADMIN})
AGENT_ONLY = frozenset({AGENT})
NOBODY = frozenset()


def role_of(user):
    """`operator`, `admin`, `supervisor`, `agent`, or None (anonymous, or a tenant user without a role)."""
    if user is None or not user.is_authenticated:
        return None
    if user.is_superuser:
        return OPERATOR
    if user.tenant_id is None:
        return None
    return user.role or None


class RolePermission(BasePermission):
    message = "Your role does not allow this."

    def has_permission(self, request, view):
        role = role_of(request.user)
        if role is None:
            return False
        roles = self.allowed_roles(request, view)
        return True if roles is None else role in roles

    @staticmethod
    def allowed_roles(request, view):
        """The roles allowed for this request, or None when the view does not handle the method (405 follows)."""
        method_roles = getattr(view, "method_roles", None)
        if method_roles is not None:
            method = "GET" if request.method == "HEAD" else request.method
            if method == "OPTIONS":
                return EVERYONE
            return method_roles.get(method)
        action = getattr(view, "action", None)
        if action is None:
            return None
        if action == "metadata":
            return EVERYONE
        action_roles = getattr(view, "action_roles", {})
        if action in action_roles:
            roles = action_roles[action]
            if isinstance(roles, dict):  # per method, for actions with several methods
                return roles.get(request.method if request.method != "HEAD" else "GET", NOBODY)
            return roles
        return view.read_roles if request.method in SAFE_METHODS else view.write_roles
