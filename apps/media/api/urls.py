"""Routes of the media app."""

from django.urls import path

from apps.media.api import views

urlpatterns = [
    path("api/v2/media", views.MediaCreateView.as_view()),
    path("api/v1/media", views.MediaCreateV1View.as_view()),
    path("api/v1/media/<id:media_id>", views.MediaDetailView.as_view()),
    path("api/agora/v1/uploads", views.UploadCreateView.as_view()),
    path("api/agora/v1/uploads/<id:upload_id>", views.UploadDetailView.as_view()),
    path("api/agora/v1/uploads/<id:upload_id>/finish", views.UploadFinishView.as_view()),
]
