from django.urls import path

from . import views

app_name = "tickets"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.register, name="register"),
    path("reports/", views.report, name="report"),
    path("views/", views.save_view, name="save_view"),
    path("views/<int:pk>/delete/", views.delete_view, name="delete_view"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/step/<slug:action>/", views.step, name="step"),
]
