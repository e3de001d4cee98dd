// The calls an app makes right after signing in (Elk, Phanpy and Ice Cubes make these).
import { restClient, run } from "./common.mjs";

run(async () => {
  const masto = restClient();
  const instance = await masto.v2.instance.fetch();
  const me = await masto.v1.accounts.verifyCredentials();
  const [
    emojis, preferences, filters, lists, tags, markers,
    announcements, unread, home, notifications, grouped, v1,
  ] = await Promise.all([
    masto.v1.customEmojis.list(),
    masto.v1.preferences.fetch(),
    masto.v2.filters.list(),
    masto.v1.lists.list(),
    masto.v1.followedTags.list(),
    masto.v1.markers.fetch({ timeline: ["home", "notifications"] }),
    masto.v1.announcements.list(),
    masto.v2.notifications.unreadCount.fetch(),
    masto.v1.timelines.home.list({ limit: 20 }),
    masto.v1.notifications.list({ limit: 30 }),
    masto.v2.notifications.list({ groupedTypes: ["favourite", "reblog", "follow"] }),
    masto.v1.instance.fetch(),
  ]);
  return {
    instance: {
      domain: instance.domain,
      version: instance.version,
      streaming: instance.configuration.urls.streaming,
      maxCharacters: instance.configuration.statuses.maxCharacters,
      pollOptions: instance.configuration.polls.maxOptions,
    },
    me: { acct: me.acct, privacy: me.source.privacy },
    emojis: emojis.length,
    preferences: preferences["posting:default:visibility"],
    filters: filters.length,
    lists: lists.length,
    followedTags: tags.length,
    markers: Object.keys(markers),
    announcements: announcements.length,
    unread: unread.count,
    home: home.map((status) => status.content),
    notifications: notifications.length,
    groupedNotifications: Object.keys(grouped).sort(),
    v1Instance: { uri: v1.uri, streaming: v1.urls.streamingApi },
  };
});
