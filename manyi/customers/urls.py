from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("export.xlsx", views.customer_export, name="export"),
    path("new/", views.customer_new, name="new"),
    path("import/", views.customer_import, name="import"),
    path("purchases/import/", views.purchase_import, name="purchase_import"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("<int:pk>/", views.customer_card, name="card"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/purchases/", views.purchase_list, name="purchases"),
    path("<int:pk>/purchases/new/", views.purchase_new, name="purchase_new"),
    path("<int:pk>/reveal/<str:field>/", views.customer_reveal, name="reveal"),
    path("segments/", views.segment_list, name="segments"),
    path("segments/new/", views.segment_new, name="segment_new"),
    path("segments/<int:pk>/", views.segment_detail, name="segment"),
    path("segments/<int:pk>/edit/", views.segment_edit, name="segment_edit"),
]
