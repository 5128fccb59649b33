from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from manyi.api import api, api_not_found
from manyi.core import views as core_views
from manyi.core.apidocs import try_it
from manyi.org.forms import LoginForm
from manyi.surveys import views as survey_views

admin.site.site_header = "Manyi 满意"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=LoginForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("org/", include("manyi.org.urls")),
    path("calendar/", include("manyi.businesstime.urls")),
    path("customers/", include("manyi.customers.urls")),
    path("tickets/", include("manyi.tickets.urls")),
    path("notifications/", include("manyi.notifications.urls")),
    path("insight/", include("manyi.insight.urls")),
    path("surveys/", include("manyi.surveys.urls")),
    path("queues/", include("manyi.queues.urls")),
    path("q/", include("manyi.queues.public_urls")),
    path("s/<str:token>/", survey_views.answer, name="survey-answer"),
    path("feedback/widget", survey_views.widget_feedback, name="feedback-widget"),
    path("api/v1/docs/try", try_it, name="api-try"),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<rest>.*)$", api_not_found),
    path("admin/", admin.site.urls),
]
