// JetStream answers some requests with a passing refusal while a cluster forms or elects a
// leader ("no suitable peers for placement", a request timeout): set-up calls try again for a
// while instead of failing a node's start.
const TRANSIENT =
  /no suitable peers|peer offline|insufficient resources|timeout|no responders|leader/i;

export async function retryTransient<T>(what: () => Promise<T>, deadlineMs = 15_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  let wait = 100;
  for (;;) {
    try {
      return await what();
    } catch (e) {
      const transient = e instanceof Error && TRANSIENT.test(`${e.name} ${e.message}`);
      if (!transient || Date.now() + wait > end) throw e;
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, 1_000);
    }
  }
}
