// Filters v2: a keyword filter marks a matching status in home with the filter's
// action; a "hide" filter takes it out; deleting the filter brings it back unmarked.
import { otherClient, refusal, restClient, run } from "./common.mjs";

const shown = (statuses, id) => statuses.find((status) => status.id === id);

run(async () => {
  const masto = restClient();
  const other = otherClient();
  const author = await other.v1.accounts.verifyCredentials();
  await masto.v1.accounts.$select(author.id).follow();

  const noContext = await refusal(() => masto.v2.filters.create({ title: "Nowhere", context: [] }));
  const filtersAfterRefusal = (await masto.v2.filters.list()).length;
  const created = await masto.v2.filters.create({
    title: "Spoilers",
    context: ["home", "public"],
    filterAction: "warn",
    keywordsAttributes: [{ keyword: "finale", wholeWord: true }],
  });
  const filter = masto.v2.filters.$select(created.id);
  const matching = await other.v1.statuses.create({ status: "The finale was something" });
  const plain = await other.v1.statuses.create({ status: "Nothing to hide here" });

  const home = await masto.v1.timelines.home.list();
  const warned = shown(home, matching.id);
  const unmarked = shown(home, plain.id);

  const hidden = await filter.update({ filterAction: "hide" });
  const homeHiding = await masto.v1.timelines.home.list();
  const keywords = await filter.keywords.list();
  const listed = await masto.v2.filters.list();

  await filter.remove();
  const homeAfter = await masto.v1.timelines.home.list();

  return {
    noContext,
    filtersAfterRefusal,
    created: {
      title: created.title,
      context: created.context,
      filterAction: created.filterAction,
      keywords: created.keywords.map((keyword) => [keyword.keyword, keyword.wholeWord]),
    },
    warned: warned.filtered.map((result) => ({
      id: result.filter.id,
      title: result.filter.title,
      filterAction: result.filter.filterAction,
      keywordMatches: result.keywordMatches,
    })),
    unmarked: unmarked.filtered,
    hiddenAction: hidden.filterAction,
    homeWhileHiding: homeHiding.map((status) => status.id),
    keywords: keywords.map((keyword) => keyword.keyword),
    listed: listed.map((found) => found.id),
    afterDelete: shown(homeAfter, matching.id).filtered,
    fetchDeleted: await refusal(() => filter.fetch()),
    ids: { matching: matching.id, plain: plain.id, filter: created.id },
  };
});
