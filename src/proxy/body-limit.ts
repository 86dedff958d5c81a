// A route's body limit (maxBodyBytes), both ways a body goes on: read whole and bounded (the HTTP
// path, whose digest needs all of it; job routes; the console's sign-in form), or streamed and cut
// off past the limit (a Worker origin over RPC).
import { Problem } from "../core/problem.ts";

/** The request body, read once and bounded: the digest needs all of it. */
export async function readBoundedBody(req: Request, limit: number): Promise<ArrayBuffer | null> {
  if (req.body === null) return null;
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (declared > limit) throw tooLarge(limit);
  if (Number.isFinite(declared)) {
    // The common case: a declared length within the limit, read in one go (cheaper than a reader).
    let body: ArrayBuffer;
    try {
      body = await req.arrayBuffer();
    } catch {
      throw new Problem("bad-request", { detail: "The request body ended early or could not be read." });
    }
    if (body.byteLength > limit) throw tooLarge(limit);
    return body.byteLength === 0 ? null : body;
  }
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch {
      // The client went away or sent less than it declared: its fault, not ours.
      throw new Problem("bad-request", { detail: "The request body ended early or could not be read." });
    }
    const { done, value } = chunk;
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  if (size === 0) return null;
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body.buffer;
}

/** 413, naming the route's limit. */
export function tooLarge(limit: number): Problem {
  return new Problem("payload-too-large", { detail: `This route accepts bodies of at most ${limit} bytes.` });
}

/** The route's body, streamed, and cut off with 413 once it passes the route's limit. */
export function boundedBodyStream(req: Request, limit: number): { body: ReadableStream<Uint8Array> | null; exceeded: () => boolean } {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (declared > limit) throw tooLarge(limit);
  // A declared length is what the client can send (the connection's framing holds it to it).
  if (req.body === null || Number.isFinite(declared)) return { body: declared === 0 ? null : req.body, exceeded: () => false };
  let size = 0;
  let over = false;
  const counted = req.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.byteLength;
        if (size > limit) {
          over = true;
          controller.error(tooLarge(limit));
          return;
        }
        controller.enqueue(chunk);
      },
    }),
  );
  return { body: counted, exceeded: () => over };
}
