import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "manyi.settings")
application = get_wsgi_application()

# the wait estimate's compiled loop loads in the background, not in the first customer's
# request (imported after the app: its module is plain Python, no Django)
from manyi.analytics.wait_estimate import start_warm_up  # noqa: E402

start_warm_up()
