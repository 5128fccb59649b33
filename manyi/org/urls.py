from django.urls import path

from . import manage_views, views

app_name = "org"
urlpatterns = [
    path("branches/", views.branch_list, name="branches"),
    path("branches/new/", manage_views.branch_edit, name="branch_new"),
    path("branches/<str:code>/", views.branch_detail, name="branch"),
    path("branches/<str:code>/edit/", manage_views.branch_edit, name="branch_edit"),
    path("staff/", views.staff_list, name="staff"),
    path("staff/new/", manage_views.staff_new, name="staff_new"),
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/edit/", manage_views.staff_edit, name="staff_edit"),
    path("staff/<int:pk>/password/", manage_views.staff_password, name="staff_password"),
    path("staff/<int:pk>/active/", manage_views.staff_active, name="staff_active"),
    path("staff/<int:pk>/unlock/", manage_views.staff_unlock, name="staff_unlock"),
    path("staff/<int:pk>/tokens/", manage_views.token_new, name="token_new"),
    path(
        "staff/<int:pk>/tokens/<int:token>/revoke/",
        manage_views.token_revoke,
        name="token_revoke",
    ),
    path("staff/<int:pk>/reveal/<str:field>/", views.staff_reveal, name="staff_reveal"),
    path("structure/", manage_views.structure, name="structure"),
    path("regions/new/", manage_views.region_edit, name="region_new"),
    path("regions/<slug:code>/edit/", manage_views.region_edit, name="region_edit"),
    path("departments/new/", manage_views.department_edit, name="department_new"),
    path("departments/<int:pk>/edit/", manage_views.department_edit, name="department_edit"),
    path("audit/", views.audit_list, name="audit"),
]
