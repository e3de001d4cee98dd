"""Routes of the protection app."""

from django.urls import path

from apps.protection.api import shield, standing

urlpatterns = [
    path("api/agora/v1/protection/shield", shield.ShieldView.as_view()),
    path("api/agora/v1/account/standing", standing.AccountStandingView.as_view()),
]
