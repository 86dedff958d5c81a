// JSON.parse keeps the last of two members with the same name, so `{"permissionSet": "read_only",
// "permissionSet": "full_access"}` reads as whatever came last, while a proxy, a log or a reviewer
// may read the first. This scanner finds such a member before anything parses the body for real.
// It is a full JSON grammar check (it agrees with JSON.parse on what is valid) and iterative, so
// deep nesting cannot exhaust the stack. Imports nothing: core/ is the ground floor.

export type JsonPath = (string | number)[];

/** invalid: JSON.parse would throw. Otherwise the path to the first repeated member name, or null. */
export type DuplicateScan = { valid: false } | { valid: true; duplicate: JsonPath | null };

type Frame = { array: true; index: number } | { array: false; names: Set<string>; name: string };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SIMPLE_ESCAPES: Record<number, string> = { 0x22: '"', 0x5c: "\\", 0x2f: "/", 0x62: "\b", 0x66: "\f", 0x6e: "\n", 0x72: "\r", 0x74: "\t" };
const HEX4 = /^[0-9A-Fa-f]{4}$/;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERALS: Record<number, string> = { 0x74: "true", 0x66: "false", 0x6e: "null" };

const INVALID: DuplicateScan = { valid: false };

export function scanJson(text: string): DuplicateScan {
  const n = text.length;
  let i = 0;
  let duplicate: JsonPath | null = null;
  const frames: Frame[] = [];

  const skipSpace = () => {
    for (let c = text.charCodeAt(i); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = text.charCodeAt(++i));
  };

  /** At an opening quote: moves past the closing one. Returns the decoded string (or "" unless
   * asked to decode), null when the string is not valid JSON. */
  const readString = (decode: boolean): string | null => {
    let out = "";
    let start = ++i;
    for (;;) {
      if (i >= n) return null;
      const c = text.charCodeAt(i);
      if (c === QUOTE) break;
      if (c < 0x20) return null;
      if (c !== BACKSLASH) {
        i++;
        continue;
      }
      if (decode) out += text.slice(start, i);
      const e = text.charCodeAt(i + 1);
      if (e === 0x75) {
        const hex = text.slice(i + 2, i + 6);
        if (!HEX4.test(hex)) return null;
        if (decode) out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else {
        const simple = SIMPLE_ESCAPES[e];
        if (simple === undefined) return null;
        if (decode) out += simple;
        i += 2;
      }
      start = i;
    }
    if (decode) out += text.slice(start, i);
    i++;
    return out;
  };

  /** After `{` or `,` in an object: the member name and its colon. */
  const readMember = (frame: Frame & { array: false }): boolean => {
    skipSpace();
    if (text.charCodeAt(i) !== QUOTE) return false;
    const name = readString(true);
    if (name === null) return false;
    if (duplicate === null && frame.names.has(name)) {
      duplicate = [...frames.slice(0, -1).map((f) => (f.array ? f.index : f.name)), name];
    }
    frame.names.add(name);
    frame.name = name;
    skipSpace();
    if (text.charCodeAt(i) !== 0x3a) return false;
    i++;
    return true;
  };

  for (;;) {
    // A value.
    skipSpace();
    const c = text.charCodeAt(i);
    let opened = false;
    if (c === 0x7b || c === 0x5b) {
      i++;
      skipSpace();
      if (text.charCodeAt(i) === (c === 0x7b ? 0x7d : 0x5d)) i++;
      else if (c === 0x5b) {
        frames.push({ array: true, index: 0 });
        opened = true;
      } else {
        const frame: Frame = { array: false, names: new Set(), name: "" };
        frames.push(frame);
        if (!readMember(frame)) return INVALID;
        opened = true;
      }
    } else if (c === QUOTE) {
      if (readString(false) === null) return INVALID;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      NUMBER.lastIndex = i;
      if (!NUMBER.test(text)) return INVALID;
      i = NUMBER.lastIndex;
    } else {
      const word = LITERALS[c];
      if (word === undefined || !text.startsWith(word, i)) return INVALID;
      i += word.length;
    }
    if (opened) continue;

    // After a value: a comma (another value follows), or the end of containers, or of the text.
    for (;;) {
      skipSpace();
      const frame = frames[frames.length - 1];
      if (frame === undefined) return i === n ? { valid: true, duplicate } : INVALID;
      const d = text.charCodeAt(i);
      if (d === 0x2c) {
        i++;
        if (frame.array) frame.index++;
        else if (!readMember(frame)) return INVALID;
        break;
      }
      if (d !== (frame.array ? 0x5d : 0x7d)) return INVALID;
      i++;
      frames.pop();
    }
  }
}
