// Lists: create one, add a followed account, read its timeline, change its
// replies policy and exclusivity, delete it.
import { otherClient, refusal, restClient, run } from "./common.mjs";

run(async () => {
  const masto = restClient();
  const other = otherClient();
  const friend = await other.v1.accounts.verifyCredentials();
  await masto.v1.accounts.$select(friend.id).follow();

  const blankTitle = await refusal(() => masto.v1.lists.create({ title: "" }));
  const listsAfterRefusal = (await masto.v1.lists.list()).length;
  const created = await masto.v1.lists.create({ title: "Friends", repliesPolicy: "list" });
  const list = masto.v1.lists.$select(created.id);
  await list.accounts.create({ accountIds: [friend.id] });
  const members = await list.accounts.list();
  const posted = await other.v1.statuses.create({ status: "for my friends' list" });
  const timeline = await masto.v1.timelines.list.$select(created.id).list();

  const badPolicy = await refusal(() => list.update({ title: "Friends", repliesPolicy: "everyone" }));
  const policyAfterRefusal = (await list.fetch()).repliesPolicy;
  const updated = await list.update({ title: "Close friends", repliesPolicy: "none", exclusive: true });
  const fetched = await list.fetch();
  const containing = await masto.v1.accounts.$select(friend.id).lists.list();
  await list.accounts.remove({ accountIds: [friend.id] });
  const membersAfterRemoval = await list.accounts.list();
  await list.remove();

  return {
    blankTitle,
    listsAfterRefusal,
    badPolicy,
    policyAfterRefusal,
    created: { title: created.title, repliesPolicy: created.repliesPolicy, exclusive: created.exclusive },
    members: members.map((account) => account.acct),
    posted: posted.id,
    timeline: timeline.map((status) => status.id),
    updated: { title: updated.title, repliesPolicy: updated.repliesPolicy, exclusive: updated.exclusive },
    fetched: { title: fetched.title, repliesPolicy: fetched.repliesPolicy, exclusive: fetched.exclusive },
    containing: containing.map((found) => found.id),
    listId: created.id,
    membersAfterRemoval: membersAfterRemoval.length,
    afterDelete: (await masto.v1.lists.list()).length,
    fetchDeleted: await refusal(() => list.fetch()),
  };
});
