"""Routes of the protection app."""

urlpatterns: list = []
