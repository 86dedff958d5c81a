// Frames between a client and an origin, both ways, in order. Each client message is admitted
// first (its `messageCost` from the same lease and buckets as HTTP) and only then sent on; the
// origin's messages go straight back. The link to the key's object carries no frames: when that
// object closes it (revocation, scope removed, expiry), the connection ends with its code.
//
// Workers cannot pause reading a WebSocket, so backpressure is bounded buffering: client messages
// wait (in order) while the origin's send buffer is full, and a side that keeps the other's
// buffer past its bound is closed with 1013 rather than buffered without end.
import { closeQuietly, GOING_AWAY, ORIGIN_DROPPED, passOn, type Close, type Refused } from "./close-codes.ts";
import type { Link } from "./link.ts";

/** Bytes a peer may have waiting to be sent to it before its sender is made to wait. */
const HIGH_WATER_BYTES = 1024 * 1024;
/** Bytes of client messages waiting here (for admission or a full origin) before the client is closed. */
const MAX_WAITING_BYTES = 8 * 1024 * 1024;
const DRAIN_POLL_MS = 10;
const ERROR_GRACE_MS = 50;

export type RelayParts = {
  client: WebSocket;
  origin: WebSocket;
  link: Link;
  maxMessageBytes: number;
  /** Admission of one client message: null to send it, or the close that ends the connection instead. */
  admit: (bytes: number) => Promise<Refused | null>;
  /** One message relayed (or refused, `in` only), for usage and analytics. */
  count: (direction: "in" | "out", bytes: number, refused: Refused | null) => void;
  /** Once, when the connection is over. */
  ended?: (client: Close) => void;
};

const sizeOf = (data: string | ArrayBuffer): number => (typeof data === "string" ? new TextEncoder().encode(data).byteLength : data.byteLength);

export function relay(p: RelayParts): void {
  let over = false;
  const end = (toClient: Close, toOrigin: Close) => {
    if (over) return;
    over = true;
    closeQuietly(p.client, toClient);
    closeQuietly(p.origin, toOrigin);
    closeQuietly(p.link.socket, { code: 1000, reason: "connection closed" });
    p.ended?.(toClient);
  };

  let chain: Promise<void> = Promise.resolve();
  let waiting = 0;
  p.client.addEventListener("message", (ev) => {
    if (over) return;
    const data = ev.data as string | ArrayBuffer;
    const bytes = sizeOf(data);
    if (bytes > p.maxMessageBytes) {
      return end({ code: 1009, reason: `messages are limited to ${p.maxMessageBytes} bytes` }, { code: 1001, reason: "the gateway closed the connection" });
    }
    waiting += bytes;
    if (waiting > MAX_WAITING_BYTES) return end({ code: 1013, reason: "sending faster than the origin reads; try again later" }, { code: 1001, reason: "the client sent too fast" });
    chain = chain
      .then(async () => {
        if (over) return;
        const refused = await p.admit(bytes);
        if (refused) {
          p.count("in", bytes, refused);
          return end(refused, { code: 1000, reason: "the gateway closed the connection" });
        }
        while (!over && p.origin.bufferedAmount > HIGH_WATER_BYTES) await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
        if (over) return;
        p.origin.send(data);
        waiting -= bytes;
        p.count("in", bytes, null);
      })
      .catch(() => end({ code: 1011, reason: "the gateway failed" }, { code: 1011, reason: "the gateway failed" }));
  });

  p.origin.addEventListener("message", (ev) => {
    if (over) return;
    const data = ev.data as string | ArrayBuffer;
    const bytes = sizeOf(data);
    if (p.client.bufferedAmount > MAX_WAITING_BYTES) {
      return end({ code: 1013, reason: "reading slower than the origin sends; try again later" }, { code: 1013, reason: "the client reads too slowly" });
    }
    p.client.send(data);
    p.count("out", bytes, null);
  });

  p.client.addEventListener("close", (ev) => {
    const close = passOn(ev.code, ev.reason, GOING_AWAY);
    // A clean close comes after the client's last messages: those still waiting for admission go first.
    if (ev.code === 1006) end(close, close);
    else chain = chain.then(() => end(close, close));
  });
  // The runtime may report an error just before a clean close: that close, if it comes, wins.
  p.client.addEventListener("error", () => setTimeout(() => (chain = chain.then(() => end(GOING_AWAY, GOING_AWAY))), ERROR_GRACE_MS));
  p.origin.addEventListener("close", (ev) => end(passOn(ev.code, ev.reason, ORIGIN_DROPPED), passOn(ev.code, ev.reason, ORIGIN_DROPPED)));
  p.origin.addEventListener("error", () => end(ORIGIN_DROPPED, ORIGIN_DROPPED));
  // Also at once, if the object closed the link while the origin was being asked.
  p.link.onEnd((close) => end(close, close));
}
