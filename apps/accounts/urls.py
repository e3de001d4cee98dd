"""Account, app registration, OAuth and instance URLs."""

from django.urls import include, path

from apps.accounts.api import instance as instance_api
from apps.accounts.api import views as accounts_api

urlpatterns = [
    path("api/v1/accounts", accounts_api.AccountCreateView.as_view(), name="account-create"),
    path(
        "api/v1/accounts/verify_credentials",
        accounts_api.VerifyCredentialsView.as_view(),
        name="account-verify-credentials",
    ),
    path(
        "api/v1/accounts/update_credentials",
        accounts_api.UpdateCredentialsView.as_view(),
        name="account-update-credentials",
    ),
    path("api/v1/accounts/lookup", accounts_api.AccountLookupView.as_view(), name="account-lookup"),
    path(
        "api/v1/accounts/<str:account_id>",
        accounts_api.AccountDetailView.as_view(),
        name="account-detail",
    ),
    path("api/v1/instance", instance_api.InstanceV1View.as_view(), name="instance-v1"),
    path("api/v2/instance", instance_api.InstanceV2View.as_view(), name="instance-v2"),
    path(
        "api/agora/v1/account/password",
        accounts_api.PasswordChangeView.as_view(),
        name="account-password",
    ),
    path("oauth/", include("oauth2_provider.urls", namespace="oauth2_provider")),
]
