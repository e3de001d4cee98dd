"""The instance's public pages that Mastodon's ``/api/v2/instance`` links: about and privacy."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.views.generic import TemplateView

from core import rules


class InstancePageView(TemplateView):
    """A small page with the instance's title, contact address and server rules."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            title=settings.AGORA_TITLE,
            domain=settings.AGORA_DOMAIN,
            contact_email=settings.AGORA_CONTACT_EMAIL,
            rules=rules.server_rules(),
        )
        return context


about = InstancePageView.as_view(template_name="pages/about.html")
privacy_policy = InstancePageView.as_view(template_name="pages/privacy_policy.html")
