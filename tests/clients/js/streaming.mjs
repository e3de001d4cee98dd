// The streaming client over WebSocket: an `update` on `user` when a followed
// account posts, and a `conversation` on `direct` when it writes privately.
// The streaming URL comes from the instance, as apps take it.
import { createStreamingAPIClient } from "masto";

import { otherClient, restClient, run } from "./common.mjs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function collect(subscription) {
  const events = [];
  (async () => {
    for await (const event of subscription) events.push(event);
  })().catch(() => {});
  return events;
}

async function waitFor(condition, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const found = condition();
    if (found) return found;
    await sleep(50);
  }
  return null;
}

// Mastodon does not acknowledge a subscription: the account's own probe coming
// back on the stream shows the server is listening.
async function listening(events, post, kind, idOf) {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const probe = await post();
    if (await waitFor(() => events.some((e) => e.event === kind && idOf(e.payload) === probe.id), 500)) {
      events.length = 0;
      return;
    }
  }
  throw new Error(`the ${kind} stream never delivered the account's own probe`);
}

run(async () => {
  const masto = restClient();
  const other = otherClient();
  const instance = await masto.v2.instance.fetch();
  const me = await masto.v1.accounts.verifyCredentials();
  const friend = await other.v1.accounts.verifyCredentials();
  await masto.v1.accounts.$select(friend.id).follow();

  const streaming = createStreamingAPIClient({
    streamingApiUrl: instance.configuration.urls.streaming,
    accessToken: process.env.AGORA_TOKEN,
  });
  try {
    const user = collect(streaming.user.subscribe());
    const direct = collect(streaming.direct.subscribe());
    await listening(user, () => masto.v1.statuses.create({ status: "probe" }), "update", (s) => s.id);
    await listening(
      direct,
      () => masto.v1.statuses.create({ status: "note to self", visibility: "direct" }),
      "conversation",
      (c) => c.lastStatus.id,
    );

    const posted = await other.v1.statuses.create({ status: "live from a friend" });
    const update = await waitFor(() => user.find((e) => e.event === "update" && e.payload.id === posted.id));
    const sent = await other.v1.statuses.create({ status: `@${me.acct} psst`, visibility: "direct" });
    const conversation = await waitFor(() =>
      direct.find((e) => e.event === "conversation" && e.payload.lastStatus.id === sent.id),
    );
    return {
      streaming: instance.configuration.urls.streaming,
      update: update && { id: update.payload.id, acct: update.payload.account.acct, content: update.payload.content },
      conversation: conversation && {
        lastStatus: conversation.payload.lastStatus.id,
        unread: conversation.payload.unread,
        accounts: conversation.payload.accounts.map((account) => account.acct),
      },
      posted: posted.id,
      sent: sent.id,
    };
  } finally {
    streaming.close();
  }
});
