// A person who operates keygate, as opposed to a key: signed in through Cloudflare Access.
export const ROLES = ["owner", "admin", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export type Operator = {
  id: string;
  email: string;
  role: Role;
  /** null: the whole platform; else confined to this tenant exactly as its admin keys are. */
  tenantId: string | null;
};
