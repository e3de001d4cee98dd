"""Sign in with the username or the e-mail address (Mastodon's password grant sends the e-mail)."""

from __future__ import annotations

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.backends import ModelBackend


class UsernameOrEmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if not username or password is None:
            return None
        model = get_user_model()
        lookup = {"email__iexact": username} if "@" in username else {"username__iexact": username}
        user = model._default_manager.filter(**lookup).first()
        if user is None:
            # Spend the same time as a real check, so timing reveals no usernames.
            model().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def password_confirms_user(*, request, user, password: str) -> bool:
    """Whether ``password`` is ``user``'s, checked through ``authenticate``.

    Going through the authentication backends lets django-axes count a wrong
    password here as a failed login, so a stolen token cannot be used to guess
    the password behind it. ``request`` is the Django request.
    """
    if not password:
        return False
    confirmed = authenticate(request, username=user.get_username(), password=password)
    return confirmed is not None and confirmed.pk == user.pk
