"""Back-office roles: one auth group per role, with exactly the permissions it needs.

:data:`ROLES` maps each role to the set of permissions its group holds, written
``"<app_label>.<codename>"``. Core names the roles and holds its own grants
(:data:`CORE_GRANTS`); every app contributes the grants on its own models from
``apps/<app>/grants.py``, registered with :func:`register_grants` in its
``AppConfig.ready()``, so an app that is not installed grants nothing and core names
no app's permissions. :func:`sync_roles` makes every group's permissions exactly
that set: it creates missing groups and permission rows, adds what is listed and
removes what is not. It runs

- in the migration ``core.0002_roles``, so a fresh database has the groups, and
- after every ``migrate`` (``post_migrate``, connected in :class:`core.apps.CoreConfig`),
  so permissions of apps whose tables a later migration creates are attached too.

Giving a role more to do, when an app lands (appeals, billing, ...):

1. list the app's ``"<app_label>.<codename>"`` strings per role in its ``grants.py``
   (``ROLE_GRANTS``) and call ``register_grants`` from its ``ready()``:
   ``view_*`` for what the role reads, ``change_*`` only for what it edits, and a
   custom permission (``Meta.permissions``) for an action such as "resolve report";
2. extend ``tests/security/test_role_matrix.py`` with the app's admin pages and
   ``tests/security/test_role_grants.py`` (every role's pinned set);
3. run ``manage.py migrate``: the ``post_migrate`` sync attaches the new
   permissions, no migration of your own is needed.

A permission whose app is not installed (or whose table does not exist yet) is
skipped with a log line, so removing an app from ``INSTALLED_APPS`` breaks nothing.
Groups, permissions, OAuth applications and OTP devices are deliberately in no
role: only superusers manage who may do what, and client secrets.

Staff get and lose roles with ``manage.py grant_role`` / ``revoke_role``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.contrib.auth import get_permission_codename
from django.contrib.auth.models import Group
from django.db import DEFAULT_DB_ALIAS, transaction

from core import audit, events

logger = logging.getLogger(__name__)
# Role changes, one line each, for the logs; the audit trail gets a row too (core.audit).
audit_logger = logging.getLogger("agora.audit")

MODERATOR = "moderator"
REVIEWER = "reviewer"
FINANCE = "finance"
OPERATOR = "operator"


def _crud(*labels: str, actions: Iterable[str] = ("add", "change", "delete", "view")) -> set[str]:
    """``_crud("waffle.flag")`` -> the add/change/delete/view permissions of those models."""
    actions = tuple(actions)
    return {
        f"{label.split('.')[0]}.{action}_{label.split('.')[1]}"
        for label in labels
        for action in actions
    }


# Core's own grants: the platform's models and the third-party apps it installs.
CORE_GRANTS: dict[str, frozenset[str]] = {
    # The audit trail, read-only: only services write it (core.audit).
    MODERATOR: frozenset({"core.view_auditentry"}),
    # Appeal queues join when apps.appeals lands.
    REVIEWER: frozenset(),
    # Finance's grants, dj-stripe's pages included, are apps.billing's (its grants.py).
    FINANCE: frozenset(),
    OPERATOR: frozenset(
        _crud("waffle.flag", "waffle.switch", "waffle.sample")
        | _crud(
            "django_celery_beat.periodictask",
            "django_celery_beat.crontabschedule",
            "django_celery_beat.intervalschedule",
            "django_celery_beat.solarschedule",
            "django_celery_beat.clockedschedule",
        )
        # change: the admin's "revoke" action on a running job.
        | {"core.view_backgroundjob", "core.change_backgroundjob"}
        # The domain-event outbox; change: "deliver again" on a failed event.
        | {"core.view_outboxevent", "core.change_outboxevent"}
        # delete an access attempt to lift a lockout; the logs are read-only.
        | {"axes.view_accessattempt", "axes.delete_accessattempt"}
        | {"axes.view_accessfailurelog", "axes.view_accesslog"}
    ),
}

# Grants by source ("core", then each app's label), as registered.
_grants: dict[str, dict[str, frozenset[str]]] = {"core": CORE_GRANTS}

# Every role's permissions: the union of every registered source's grants. Recomputed
# in place by register_grants, so a module holding a reference sees the current set.
ROLES: dict[str, frozenset[str]] = {}


def _compose() -> None:
    for role in CORE_GRANTS:
        ROLES[role] = frozenset().union(*(grants.get(role, ()) for grants in _grants.values()))


def register_grants(source: str, grants: Mapping[str, Iterable[str]]) -> None:
    """Add ``source``'s grants (role -> ``"<app_label>.<codename>"`` names) to :data:`ROLES`.

    An app calls it from its ``AppConfig.ready()`` with its label as ``source``;
    registering the same source again replaces its grants, so it is idempotent.
    Raises :class:`UnknownRole` for a role core does not define: roles are core's.
    """
    for role in grants:
        check_role(role)
    _grants[source] = {role: frozenset(names) for role, names in grants.items()}
    _compose()


_compose()


class UnknownRole(ValueError):
    """The name is not one of :data:`ROLES`."""


def role_names() -> list[str]:
    return sorted(ROLES)


def check_role(name: str) -> str:
    """Return ``name`` if it is a role; raise :class:`UnknownRole` otherwise."""
    if name not in CORE_GRANTS:
        raise UnknownRole(f"Unknown role {name!r}; the roles are: {', '.join(role_names())}.")
    return name


def _model_permissions(model) -> dict[str, str]:
    """Codename -> name of every permission a model declares (default and custom)."""
    opts = model._meta
    perms = {
        get_permission_codename(action, opts): f"Can {action} {opts.verbose_name_raw}"
        for action in opts.default_permissions
    }
    perms.update(dict(opts.permissions))
    return perms


def _resolve_permissions(
    wanted: Iterable[str], *, apps: Apps, using: str
) -> tuple[list, list[str]]:
    """Find (creating if missing) the Permission rows for ``wanted``.

    Returns the permissions found and the names that could not be resolved because
    their app or model is not (yet) installed.
    """
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    by_app: dict[str, set[str]] = {}
    for name in wanted:
        app_label, codename = name.split(".", 1)
        by_app.setdefault(app_label, set()).add(codename)

    found = []
    missing: list[str] = []
    for app_label, codenames in sorted(by_app.items()):
        try:
            models = list(apps.get_app_config(app_label).get_models())
        except LookupError:
            missing.extend(f"{app_label}.{codename}" for codename in sorted(codenames))
            continue
        remaining = set(codenames)
        for model in models:
            declared = _model_permissions(model)
            matching = remaining & declared.keys()
            if not matching:
                continue
            content_type = ContentType.objects.db_manager(using).get_for_model(
                model, for_concrete_model=False
            )
            for codename in sorted(matching):
                permission, _ = Permission.objects.using(using).get_or_create(
                    content_type=content_type,
                    codename=codename,
                    defaults={"name": declared[codename][:255]},
                )
                found.append(permission)
            remaining -= matching
        missing.extend(f"{app_label}.{codename}" for codename in sorted(remaining))
    return found, missing


def sync_roles(*, apps: Apps = global_apps, using: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    """Make each role's group hold exactly the permissions :data:`ROLES` lists.

    ``apps`` is the model registry (a migration passes its historical one). Runs in
    one transaction. Returns, per role, the permissions that could not be attached
    yet because their app or model is not installed; they are logged too.
    """
    Group = apps.get_model("auth", "Group")
    unresolved: dict[str, list[str]] = {}
    with transaction.atomic(using=using):
        for role, wanted in sorted(ROLES.items()):
            group, _ = Group.objects.using(using).get_or_create(name=role)
            permissions, missing = _resolve_permissions(wanted, apps=apps, using=using)
            group.permissions.set(permissions)
            if missing:
                unresolved[role] = missing
                logger.info(
                    "role %s: permissions not attached yet (app not installed): %s",
                    role,
                    ", ".join(missing),
                )
    return unresolved


def sync_roles_after_migrate(sender, *, using: str = DEFAULT_DB_ALIAS, apps=None, **kwargs) -> None:
    """``post_migrate`` receiver: sync once per ``migrate``, when core's signal arrives.

    By the time any app's ``post_migrate`` is sent every migration has run, and
    :func:`sync_roles` creates the permission rows it needs itself.
    """
    if sender.label != "core":
        return
    sync_roles(apps=apps or global_apps, using=using)


@dataclass(frozen=True)
class RoleChange:
    """What :func:`role_grant` or :func:`role_revoke` did."""

    role: str
    membership_changed: bool
    staff_changed: bool
    is_staff: bool


def _user_roles(user) -> set[str]:
    return set(user.groups.filter(name__in=list(ROLES)).values_list("name", flat=True))


def role_grant(*, user, role: str, actor: str) -> RoleChange:
    """Put ``user`` in ``role``'s group and make them staff.

    Runs in a transaction; when something changed, writes an audit row and a log
    line and publishes :class:`core.events.AccountUpdated`.
    Raises :class:`UnknownRole` for a name that is not in :data:`ROLES`.
    """
    check_role(role)
    with transaction.atomic():
        user = type(user)._default_manager.select_for_update().get(pk=user.pk)
        group, _ = Group.objects.get_or_create(name=role)
        membership_changed = role not in _user_roles(user)
        if membership_changed:
            user.groups.add(group)
        staff_changed = not user.is_staff
        if staff_changed:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        change = RoleChange(role, membership_changed, staff_changed, user.is_staff)
        _record(user=user, action="granted", change=change, actor=actor)
    return change


def role_revoke(*, user, role: str, actor: str) -> RoleChange:
    """Take ``user`` out of ``role``'s group; the last role gone, they stop being staff.

    A superuser keeps ``is_staff``. Runs in a transaction; when something changed,
    writes an audit row and a log line and publishes :class:`core.events.AccountUpdated`.
    Raises :class:`UnknownRole` for a name that is not in :data:`ROLES`.
    """
    check_role(role)
    with transaction.atomic():
        user = type(user)._default_manager.select_for_update().get(pk=user.pk)
        membership_changed = role in _user_roles(user)
        if membership_changed:
            user.groups.remove(*Group.objects.filter(name=role))
        staff_changed = (
            user.is_staff and not user.is_superuser and not _user_roles(user) and membership_changed
        )
        if staff_changed:
            user.is_staff = False
            user.save(update_fields=["is_staff"])
        change = RoleChange(role, membership_changed, staff_changed, user.is_staff)
        _record(user=user, action="revoked", change=change, actor=actor)
    return change


def _record(*, user, action: str, change: RoleChange, actor: str) -> None:
    """The audit row and log line for a role change (only when something changed), and the event."""
    if not (change.membership_changed or change.staff_changed):
        return
    entry = audit.role_granted if action == "granted" else audit.role_revoked
    entry(actor=actor, user=user, role=change.role, is_staff=change.is_staff)
    audit_logger.info(
        "role %s %s %s %s by %s",
        change.role,
        action,
        "to" if action == "granted" else "from",
        user.username,
        actor,
        extra={
            "audit": f"role.{action}",
            "account_id": str(user.pk),
            "account": user.username,
            "role": change.role,
            "is_staff": change.is_staff,
            "actor": actor,
        },
    )
    fields = tuple(
        name
        for name, changed in (
            ("groups", change.membership_changed),
            ("is_staff", change.staff_changed),
        )
        if changed
    )
    events.publish(events.AccountUpdated(account_id=user.pk, fields=fields))
