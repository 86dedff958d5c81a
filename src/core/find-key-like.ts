// Where a key-shaped value sits in parsed JSON that is about to be stored (a job's payload, an
// event's result), so the refusal can name the place without quoting the value.
import { containsKeyLike } from "./redact.ts";

type Node = { value: unknown; key: string | number | null; parent: Node | null };

function pathOf(node: Node): (string | number)[] {
  const path: (string | number)[] = [];
  for (let n: Node | null = node; n !== null && n.key !== null; n = n.parent) path.push(n.key);
  return path.reverse();
}

/**
 * The path to the first key-shaped string, or to the object holding a key-shaped member name;
 * null when there is none. Iterative, with parent links instead of copied paths: a payload may nest
 * deeper than the stack, and copying a path per level would cost its depth squared.
 */
export function findKeyLike(value: unknown): (string | number)[] | null {
  const stack: Node[] = [{ value, key: null, parent: null }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const v = node.value;
    if (typeof v === "string") {
      if (containsKeyLike(v)) return pathOf(node);
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], key: i, parent: node });
    } else if (v !== null && typeof v === "object") {
      const names = Object.keys(v);
      if (names.some(containsKeyLike)) return pathOf(node);
      for (let i = names.length - 1; i >= 0; i--) stack.push({ value: (v as Record<string, unknown>)[names[i]!], key: names[i]!, parent: node });
    }
  }
  return null;
}
