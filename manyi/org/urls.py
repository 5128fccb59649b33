from django.urls import path

from . import views

app_name = "org"
urlpatterns = [
    path("branches/", views.branch_list, name="branches"),
    path("branches/<str:code>/", views.branch_detail, name="branch"),
    path("staff/", views.staff_list, name="staff"),
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/reveal/<str:field>/", views.staff_reveal, name="staff_reveal"),
    path("audit/", views.audit_list, name="audit"),
]
