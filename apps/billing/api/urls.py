"""Routes of the billing app."""

from django.urls import path

from apps.billing.api import views, webhook

urlpatterns = [
    path("api/agora/v1/billing/plans", views.PlanListView.as_view()),
    path("api/agora/v1/billing/subscription", views.SubscriptionView.as_view()),
    path("api/agora/v1/billing/checkout", views.CheckoutView.as_view()),
    path("api/agora/v1/billing/portal", views.PortalView.as_view()),
    path("api/agora/v1/billing/payouts/onboarding", views.OnboardingView.as_view()),
    path("api/agora/v1/billing/tiers", views.TierListView.as_view()),
    path("api/agora/v1/billing/tiers/<id:tier_id>", views.TierDetailView.as_view()),
    path("api/agora/v1/billing/creators/<id:account_id>/tiers", views.CreatorTiersView.as_view()),
    path("api/agora/v1/billing/earnings", views.EarningsView.as_view()),
    path("api/agora/v1/billing/earnings/lines", views.EarningsLinesView.as_view()),
    path("api/agora/v1/billing/webhook", webhook.stripe_webhook),
]
