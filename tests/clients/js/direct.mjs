// Direct messages: send one, list conversations, mark read, delete.
import { otherClient, refusal, restClient, run } from "./common.mjs";

run(async () => {
  const masto = restClient();
  const other = otherClient();
  const me = await masto.v1.accounts.verifyCredentials();

  const sent = await other.v1.statuses.create({ status: `@${me.acct} lunch tomorrow?`, visibility: "direct" });
  const before = await masto.v1.conversations.list();
  const senderSide = await other.v1.conversations.list();
  const read = await masto.v1.conversations.$select(before[0].id).read();
  const afterRead = await masto.v1.conversations.list();
  await masto.v1.conversations.$select(before[0].id).remove();
  const removedAgain = await refusal(() => masto.v1.conversations.$select(before[0].id).remove());

  return {
    sent: { id: sent.id, visibility: sent.visibility },
    before: before.map((conversation) => ({
      lastStatus: conversation.lastStatus.id,
      accounts: conversation.accounts.map((account) => account.acct),
      unread: conversation.unread,
    })),
    senderUnread: senderSide.map((conversation) => conversation.unread),
    read: read.unread,
    afterRead: afterRead.map((conversation) => conversation.unread),
    removedAgain,
    afterDelete: (await masto.v1.conversations.list()).length,
    senderAfterDelete: (await other.v1.conversations.list()).length,
  };
});
