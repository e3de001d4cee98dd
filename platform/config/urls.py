"""Agora's URLs: the Mastodon client API, the platform API, OAuth, admin and operations.

Each app's URLs are included only while it is installed (:mod:`config.wiring`).
"""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.wiring import app_modules
from core import pages
from core.admin_site import AgoraAdminSite

# Staff sign in to the back office with a password and a one-time code.
admin.site.__class__ = AgoraAdminSite
admin.site.site_header = "Agora back office"
admin.site.site_title = "Agora"

urlpatterns = [
    path("", include("core.urls")),
    # The pages /api/v2/instance names as configuration.urls.about and .privacy_policy.
    path("about", pages.about, name="about"),
    path("privacy-policy", pages.privacy_policy, name="privacy-policy"),
    # Each installed app's URLconf, from the highest layer down (see config.wiring).
    *(path("", include(module)) for module in app_modules("urls", "api.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("", include("django_prometheus.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler404 = "core.exceptions.page_not_found"
handler500 = "core.exceptions.server_error"
