from django.urls import path

from . import public_views

app_name = "queues_public"
urlpatterns = [
    path("kiosk/<str:key>/", public_views.kiosk, name="kiosk"),
    path("door/<str:key>/", public_views.door, name="door"),
    path("remote/<str:code>/", public_views.remote, name="remote"),
    path("t/<str:token>/", public_views.status, name="status"),
    path("t/<str:token>/state", public_views.status_state, name="status_state"),
    path("t/<str:token>/leave", public_views.status_leave, name="status_leave"),
    path("board/<str:key>/", public_views.board, name="board"),
    path("board/<str:key>/state", public_views.board_state, name="board_state"),
    path("board/<str:key>/stream", public_views.board_stream, name="board_stream"),
]
