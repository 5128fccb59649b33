from django.urls import path

from . import manage_views

app_name = "surveys"
urlpatterns = [
    path("", manage_views.questionnaire_list, name="list"),
    path("calls/<int:pk>/", manage_views.call_console, name="console"),
    path("calls/case/<int:pk>/outcome/", manage_views.call_outcome, name="call_outcome"),
    path("calls/case/<int:pk>/interview/", manage_views.call_interview, name="interview"),
    path("<slug:code>/", manage_views.questionnaire_detail, name="questionnaire"),
    path("<slug:code>/links/", manage_views.new_link, name="new_link"),
    path("<slug:code>/calls/", manage_views.new_call_list, name="new_call_list"),
]
