from django.urls import path

from . import config_views, views

app_name = "tickets"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.register, name="register"),
    path("reports/", views.report, name="report"),
    path("approvals/", views.approvals, name="approvals"),
    path("views/", views.save_view, name="save_view"),
    path("views/<int:pk>/delete/", views.delete_view, name="delete_view"),
    path("configuration/", config_views.configuration, name="configuration"),
    path("configuration/<slug:kind>/new/", config_views.edit, name="config_new"),
    path("configuration/<slug:kind>/<int:pk>/", config_views.edit, name="config_edit"),
    path("configuration/<slug:kind>/<int:pk>/delete/", config_views.delete, name="config_delete"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/step/<slug:action>/", views.step, name="step"),
]
