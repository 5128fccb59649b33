from django.urls import path

from . import analysis_views, views

app_name = "queues"
urlpatterns = [
    path("", views.home, name="home"),
    path("rules/", views.rules, name="rules"),
    path("setup/", views.setup, name="setup"),
    path("issue/", views.issue, name="issue"),
    path("book/", views.book, name="book"),
    path("tickets/<int:pk>/resume/", views.resume, name="resume"),
    path("counter/<int:pk>/", views.counter_console, name="counter"),
    path("counter/<int:pk>/<slug:action>/", views.counter_action, name="counter_action"),
    path("stats/", analysis_views.stats, name="stats"),
    path("stats.xlsx", analysis_views.stats_export, name="stats_export"),
    path("staffing/", analysis_views.staffing, name="staffing"),
    path("simulate/", analysis_views.simulate, name="simulate"),
]
