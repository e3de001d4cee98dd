"""The back-office roles' grants on live's models (see :mod:`core.roles`).

Moderators see streams, end one with the kill switch (which also rotates its key
and is audited), bar accounts from going live (lifted with a reason), search chat
and hide or restore messages, time accounts out of a channel's chats (or lift it), and
manage channel bans and channel moderators (all audited); operators see streams and decide who may go live without a plan.
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
            "live.view_chatmessage",
            "live.moderate_chatmessage",
            "live.view_channelban",
            "live.add_channelban",
            "live.delete_channelban",
            "live.view_channelmoderator",
            "live.add_channelmoderator",
            "live.delete_channelmoderator",
            "live.view_chattimeout",
            "live.add_chattimeout",
            "live.delete_chattimeout",
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
