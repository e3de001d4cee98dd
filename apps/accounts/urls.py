"""Account, app registration, OAuth and instance URLs."""

from django.urls import path

from apps.accounts import web
from apps.accounts.api import announcements as announcements_api
from apps.accounts.api import apps as apps_api
from apps.accounts.api import instance as instance_api
from apps.accounts.api import oauth as oauth_api
from apps.accounts.api import totp as totp_api
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
    path("api/v1/preferences", accounts_api.PreferencesView.as_view(), name="preferences"),
    path("api/v1/accounts/lookup", accounts_api.AccountLookupView.as_view(), name="account-lookup"),
    path(
        "api/v1/accounts/<id:account_id>",
        accounts_api.AccountDetailView.as_view(),
        name="account-detail",
    ),
    path("api/v1/instance", instance_api.InstanceV1View.as_view(), name="instance-v1"),
    path("api/v2/instance", instance_api.InstanceV2View.as_view(), name="instance-v2"),
    path(
        ".well-known/oauth-authorization-server",
        instance_api.OAuthServerMetadataView.as_view(),
        name="oauth-server-metadata",
    ),
    path(".well-known/nodeinfo", instance_api.NodeInfoDiscoveryView.as_view(), name="nodeinfo"),
    path("nodeinfo/2.0", instance_api.NodeInfoView.as_view(), name="nodeinfo-2.0"),
    path(
        "api/agora/v1/account/password",
        accounts_api.PasswordChangeView.as_view(),
        name="account-password",
    ),
    # OAuth 2, Mastodon's paths (H1a): apps, authorize, token, revoke; the login page; 2FA.
    path("api/v1/apps", apps_api.ApplicationCreateView.as_view(), name="app-create"),
    path(
        "api/v1/apps/verify_credentials",
        apps_api.ApplicationVerifyCredentialsView.as_view(),
        name="app-verify-credentials",
    ),
    path("oauth/authorize", oauth_api.AuthorizationView.as_view(), name="oauth-authorize"),
    path("oauth/token", oauth_api.TokenView.as_view(), name="oauth-token"),
    path("oauth/revoke", oauth_api.RevokeTokenView.as_view(), name="oauth-revoke"),
    path("auth/login/", web.login_view, name="accounts-login"),
    path("auth/login/code/", web.login_code_view, name="accounts-login-code"),
    path("auth/logout/", web.logout_view, name="accounts-logout"),
    path("api/agora/v1/account/totp", totp_api.TotpView.as_view(), name="account-totp"),
    path(
        "api/agora/v1/account/totp/confirm",
        totp_api.TotpConfirmView.as_view(),
        name="account-totp-confirm",
    ),
    path("api/v1/custom_emojis", announcements_api.CustomEmojisView.as_view()),
    path("api/v1/announcements", announcements_api.AnnouncementsView.as_view()),
    path(
        "api/v1/announcements/<id:announcement_id>/dismiss",
        announcements_api.AnnouncementDismissView.as_view(),
    ),
    path(
        "api/v1/announcements/<id:announcement_id>/reactions/<str:name>",
        announcements_api.AnnouncementReactionView.as_view(),
    ),
    path(
        "api/v1/profile/avatar",
        accounts_api.ProfileImageDeleteView.as_view(image="avatar"),
        name="profile-avatar-delete",
    ),
    path(
        "api/v1/profile/header",
        accounts_api.ProfileImageDeleteView.as_view(image="header"),
        name="profile-header-delete",
    ),
]
