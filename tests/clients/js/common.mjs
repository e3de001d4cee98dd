// What every scenario shares: the clients, built as an app builds them, and the
// one way a scenario reports (JSON on stdout and exit 0, or the error on stderr
// and exit 1). The Python test (tests/clients/test_masto_js.py) sets
// AGORA_URL, AGORA_TOKEN (the signed-in account) and AGORA_OTHER_TOKEN (a second one).
import "./node18.mjs";

import { createRestAPIClient } from "masto";

export function restClient(token = process.env.AGORA_TOKEN) {
  return createRestAPIClient({ url: process.env.AGORA_URL, accessToken: token, timeout: 10_000 });
}

export function otherClient() {
  return restClient(process.env.AGORA_OTHER_TOKEN);
}

// The error masto.js raised, as an answer the test can assert on: a refused call is
// part of a scenario, not a failure of the script.
export async function refusal(call) {
  try {
    await call();
  } catch (error) {
    return { status: error.statusCode ?? null, message: error.message };
  }
  return null;
}

export function run(scenario) {
  scenario().then(
    (result) => {
      process.stdout.write(JSON.stringify(result));
      process.exit(0);
    },
    (error) => {
      const said = JSON.stringify(error.description ?? error.details ?? null);
      const answer = error.statusCode ? ` (HTTP ${error.statusCode}: ${said})` : "";
      process.stderr.write(`${error.stack ?? error}${answer}\n`);
      process.exit(1);
    },
  );
}
