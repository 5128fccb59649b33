from django.urls import path

from . import views

app_name = "businesstime"
urlpatterns = [path("", views.calendar_page, name="calendar")]
