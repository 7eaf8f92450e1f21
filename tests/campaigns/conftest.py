"""A tenant with an SMS number, its administrator's API client, and CSV files as uploads."""
import io

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests import factories as f

API = "/api/v1/"


def api_client(user):
    c = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    c.credentials(HTTP_AUTHORIZATION="Token " + token.key)
    return c


def csv_file(text, name="contacts.csv", encoding="utf-8"):
    f_ = io.BytesIO(text.encode(encoding) if isinstance(text, str) else text)
    f_.name = name
    return f_


@pytest.fixture
def world(db):
    t = f.tenant(time_zone="America/New_York")
    poc = f.sms_poc(t, "+12125550199")
    admin = f.admin(t)
    return type("World", (), {"tenant": t, "poc": poc, "admin": admin, "api": api_client(admin)})


def upload(api, text, name="Prospects", phone_column=None, encoding="utf-8", **extra):
    data = {"name": name, "file": csv_file(text, encoding=encoding), **extra}
    if phone_column:
        data["phone_column"] = phone_column
    return api.post(API + "contact-lists/", data, format="multipart")
