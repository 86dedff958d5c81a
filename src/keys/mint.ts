// A new secret for a key: the secret itself (shown once, never stored), its SHA-256 (stored) and
// the display parts (stored, shown in lists). Creation, roll and bootstrap all mint through here.
import { displayParts, generateKey, type KeyEnvironment } from "./format.ts";
import { hashKey } from "./hash.ts";

export type MintedSecret = { secret: string; hash: string; prefix: string; hint: string };

export async function mintSecret(environment: KeyEnvironment): Promise<MintedSecret> {
  const secret = generateKey(environment);
  return { secret, hash: hashKey(secret), ...displayParts(secret) };
}
