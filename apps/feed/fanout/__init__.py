"""Fan-out on write: the home feed store, as Mastodon's FeedManager keeps it.

Each account's home feed is a Redis sorted set of status ids (score = id) at
``feed:home:<account id>``, capped at ``AGORA_FEED_MAX_ENTRIES``. A new status is
pushed, by a Celery task, into its author's feed and the feeds of the followers
(and, for a public original, of its hashtags' followers; a tag followed later brings
no older statuses, as in Mastodon) who read their home timeline within the last
``AGORA_FEED_ACTIVE_DAYS`` days (``feed:active``, account id -> time of the last
read). A reblog of a status
already near the top of a feed is not repeated: ``feed:home:<id>:reblogs`` maps
each original shown through a reblog to that reblog's id, and
``feed:home:<id>:reblogs:<original>`` holds every reblog of it that reached the feed.

A feed that is missing, or belongs to an account inactive for longer than the
window, is cold: the next read rebuilds it from the database (the selectors' home
query). ``feed:home:<id>:truncated`` marks a feed that lost its oldest entries (the
cap, or a rebuild that could not hold everything): the store then vouches only
for ids from its oldest entry up, and a page reaching below that is served from
the database. Reads always re-apply the database's visibility, block and mute
rules to the ids the store returns, so nothing that became invisible leaks.

Without ``REDIS_URL`` (the embedded default) there is no store and the selectors
read the database directly.

The package, by what each module holds:

- :mod:`.store`: the Redis connection, key layout, settings, and the activity index;
- :mod:`.scripts`: the two Lua scripts (``add.lua``, ``remove.lua``) every change runs as;
- :mod:`.paging`: pure paging (a page as a range read, and whether the store can answer it);
- :mod:`.audience`: whose feeds a status is pushed into (Mastodon's fan-out rules);
- :mod:`.writes`: pushing, merging and removing entries;
- :mod:`.rules`: the home timeline's rules applied to a page's rows (the read filter);
- :mod:`.reads`: reading a home timeline page, rebuilding a cold feed first;
- :mod:`.handlers`: the event handlers that enqueue the fan-out tasks;
- :mod:`.lists`: list feeds (``feed:list:<list id>``), pushed by the same fan-out task,
  merged and unmerged as members join and leave, rebuilt from the database when cold.

The names below are re-exported for the callers outside the feed's timeline code (the
selectors' and services' hooks, the bench and the integration suite); new code imports
the module that holds a name.
"""

from apps.feed.fanout.reads import feed_ids, home_timeline_page, rebuild
from apps.feed.fanout.store import Entry, client, feed_key, mark_active, store_enabled
from apps.feed.fanout.writes import fanout_status, push, relationship_changed

__all__ = [
    "Entry",
    "client",
    "fanout_status",
    "feed_ids",
    "feed_key",
    "home_timeline_page",
    "mark_active",
    "push",
    "rebuild",
    "relationship_changed",
    "store_enabled",
]
