"""Sign in with the username or the e-mail address (Mastodon's password grant sends the e-mail)."""

from __future__ import annotations

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.backends import ModelBackend


def account_for_identifier(identifier: str):
    """The account a sign-in identifier names: an e-mail address or a username, any case."""
    if not identifier:
        return None
    lookup = (
        {"email__iexact": identifier} if "@" in identifier else {"username__iexact": identifier}
    )
    return get_user_model()._default_manager.filter(**lookup).first()


class UsernameOrEmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if not username or password is None:
            return None
        model = get_user_model()
        user = account_for_identifier(username)
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
