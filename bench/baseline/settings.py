"""The bare baseline pipeline of bench/: the product's settings (same database, same channel layer,
same apps, so the same agents and tokens), but its own URLs and one tiny app. Only bench/run.py
points DJANGO_SETTINGS_MODULE here; the product's URLs never include it."""
from cxsms_site.settings import *  # noqa: F401,F403
from cxsms_site.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.baseline"]
ROOT_URLCONF = "bench.baseline.urls"
ASGI_APPLICATION = "bench.baseline.asgi.application"
CXSMS_RUN_TIMERS = False
