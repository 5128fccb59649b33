from django.urls import path

from . import manage_views

app_name = "surveys"
urlpatterns = [
    path("", manage_views.questionnaire_list, name="list"),
    path("<slug:code>/", manage_views.questionnaire_detail, name="questionnaire"),
    path("<slug:code>/links/", manage_views.new_link, name="new_link"),
]
