from django.urls import path

from . import editor_views, manage_views

app_name = "surveys"
urlpatterns = [
    path("", manage_views.questionnaire_list, name="list"),
    path("campaigns/<int:pk>/", manage_views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/launch/", manage_views.campaign_launch, name="campaign_launch"),
    path("campaigns/<int:pk>/close/", manage_views.campaign_close, name="campaign_close"),
    path("calls/<int:pk>/", manage_views.call_console, name="console"),
    path("calls/case/<int:pk>/outcome/", manage_views.call_outcome, name="call_outcome"),
    path("calls/case/<int:pk>/interview/", manage_views.call_interview, name="interview"),
    path("<slug:code>/edit/", editor_views.edit, name="edit"),
    path("<slug:code>/edit/preview/", editor_views.preview_check, name="edit_preview_check"),
    path("<slug:code>/edit/xlsform/", editor_views.download_xlsform, name="edit_xlsform"),
    path("<slug:code>/", manage_views.questionnaire_detail, name="questionnaire"),
    path("<slug:code>/links/", manage_views.new_link, name="new_link"),
    path("<slug:code>/calls/", manage_views.new_call_list, name="new_call_list"),
    path("<slug:code>/campaigns/", manage_views.new_campaign, name="new_campaign"),
]
