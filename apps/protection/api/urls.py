"""Routes of the protection app."""

from django.urls import path

from apps.protection.api import shield

urlpatterns = [
    path("api/agora/v1/protection/shield", shield.ShieldView.as_view()),
]
