from django.urls import path

from . import editor_views, views

app_name = "insight"
urlpatterns = [
    path("", views.run_list, name="list"),
    path("new/", views.run_new, name="new"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/status/", views.run_status, name="status"),
    path("runs/<int:pk>/report.xlsx", views.run_xlsx, name="xlsx"),
    path("runs/<int:pk>/report.pdf", views.run_pdf_view, name="pdf"),
    path("runs/<int:pk>/result.json", views.run_json, name="json"),
    path("runs/<int:pk>/model.yaml", views.run_model, name="model"),
    path("runs/<int:pk>/rerun/", views.run_again, name="rerun"),
    path("runs/<int:pk>/costs/", views.run_costs, name="costs"),
    path("templates/<slug:name>.yaml", views.template_download, name="template"),
    path("programmes/", views.programme_list, name="programmes"),
    path("programmes/new/", views.programme_new, name="programme_new"),
    path("programmes/<int:pk>/", views.programme_detail, name="programme"),
    path("programmes/<int:pk>/run/", views.programme_run, name="programme_run"),
    path("programmes/<int:pk>/outcomes/", views.programme_outcomes, name="programme_outcomes"),
    path("models/columns/", editor_views.columns, name="model_columns"),
    path("models/check/", editor_views.check, name="model_check"),
]
