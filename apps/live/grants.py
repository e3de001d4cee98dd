"""The back-office roles' grants on live's models (see :mod:`core.roles`).

Moderators see streams, end one with the kill switch (which also rotates its key
and is audited) and bar accounts from going live (and lift that, with a reason); operators see streams and decide who may go live without a plan.
"""

from core.roles import MODERATOR, OPERATOR

ROLE_GRANTS: dict[str, frozenset[str]] = {
    MODERATOR: frozenset(
        {
            "live.view_stream",
            "live.kill_stream",
            "live.view_liverestriction",
            "live.add_liverestriction",
            "live.change_liverestriction",
        }
    ),
    OPERATOR: frozenset(
        {
            "live.view_stream",
            "live.view_liveallowance",
            "live.add_liveallowance",
            "live.delete_liveallowance",
        }
    ),
}
