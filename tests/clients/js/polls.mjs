// Polls: post a status with a poll, vote from another account, read the results.
import { otherClient, refusal, restClient, run } from "./common.mjs";

run(async () => {
  const masto = restClient();
  const other = otherClient();

  const status = await masto.v1.statuses.create({
    status: "What do you drink?",
    poll: { options: ["tea", "coffee", "water"], expiresIn: 3600, multiple: true },
  });
  const poll = status.poll;
  const voted = await other.v1.polls.$select(poll.id).votes.create({ choices: [0, 2] });
  const results = await masto.v1.polls.$select(poll.id).fetch();

  return {
    created: { options: poll.options.map((option) => option.title), multiple: poll.multiple, expired: poll.expired },
    voted: { voted: voted.voted, ownVotes: voted.ownVotes, votesCount: voted.votesCount },
    results: {
      votersCount: results.votersCount,
      votesCount: results.votesCount,
      options: results.options.map((option) => option.votesCount),
      voted: results.voted,
      ownVotes: results.ownVotes,
    },
    secondVote: await refusal(() => other.v1.polls.$select(poll.id).votes.create({ choices: [1] })),
    ownVote: await refusal(() => masto.v1.polls.$select(poll.id).votes.create({ choices: [1] })),
  };
});
