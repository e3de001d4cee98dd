"""OpenAPI (drf-spectacular) descriptions of the kernel's API building blocks."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """OAuth 2 bearer tokens (:class:`core.authentication.BearerTokenAuthentication`)."""

    target_class = "core.authentication.BearerTokenAuthentication"
    name = "OAuth2"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer"}
