// Debian 12 ships Node.js 18 (deploy/system-packages.sh installs Debian's nodejs), which
// lacks AbortSignal.any (Node.js 20.3); masto.js 7 calls it for every request (its
// timeout). The smallest stand-in: a signal that aborts when any of the given ones does.
// Nothing changes on Node.js 20 and later.
if (typeof AbortSignal.any !== "function") {
  AbortSignal.any = (signals) => {
    const controller = new AbortController();
    for (const signal of signals) {
      if (signal.aborted) {
        controller.abort(signal.reason);
        break;
      }
      signal.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
    }
    return controller.signal;
  };
}
