"""WSGI entry point for any WSGI server (gunicorn is what `salespipe serve` runs)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salespipe.settings")
application = get_wsgi_application()
