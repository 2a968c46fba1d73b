/**
 * The flooding clients of the join-flood scenario, in a process of their own (forked by
 * `joinFloodProcess`): an abuser runs on its own machine, and in the load generator's process the
 * flood's own Socket.IO work would slow autocannon's event loop and be counted against the server.
 * Starts on the parent's `{ start }` message, stops on `{ stop }` and answers with its figures.
 */
import { joinFlood } from './scenarios';

process.once('message', (message: { url: string; eventIds: string[]; sockets: number; inFlight: number }) => {
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  process.once('message', () => stop());
  joinFlood({ ...message, stop: stopped }).then(
    (result) => process.send!({ result }, () => process.exit(0)),
    (error: unknown) => process.send!({ error: String(error) }, () => process.exit(1)),
  );
});
