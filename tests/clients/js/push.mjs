// Web Push subscription API: create, fetch, update, delete (delivery is tested
// in tests/clients/test_push_delivery.py).
import { createECDH, randomBytes } from "node:crypto";

import { refusal, restClient, run } from "./common.mjs";

run(async () => {
  const masto = restClient();
  const subscription = masto.v1.push.subscription;
  const ecdh = createECDH("prime256v1");
  const keys = { p256dh: ecdh.generateKeys().toString("base64url"), auth: randomBytes(16).toString("base64url") };
  const endpoint = "https://push.example.net/send/abc123";

  const pick = (found) => ({
    id: String(found.id),
    endpoint: found.endpoint,
    alerts: found.alerts,
    policy: found.policy,
    serverKey: found.serverKey,
  });
  const plainHttp = await refusal(() =>
    subscription.create({ subscription: { endpoint: "http://push.example.net/send/abc123", keys }, policy: "all" }),
  );
  const afterRefusal = await refusal(() => subscription.fetch());
  const created = await subscription.create({
    subscription: { endpoint, keys },
    data: { alerts: { mention: true, favourite: true } },
    policy: "all",
  });
  const fetched = await subscription.fetch();
  const updated = await subscription.update({ data: { alerts: { follow: true }, policy: "followed" } });
  await subscription.remove();

  return {
    plainHttp,
    afterRefusal,
    created: pick(created),
    fetched: pick(fetched),
    updated: pick(updated),
    afterDelete: await refusal(() => subscription.fetch()),
  };
});
