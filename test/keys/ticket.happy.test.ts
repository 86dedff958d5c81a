import { describe, expect, it } from "vitest";
import { hashKey } from "../../src/keys/hash.ts";
import { hashTicket, newTicket as mint, searchWithoutTicket, TICKET_PARAM, TICKET_TTL_MS, ticketInUrl, ticketIsOurs, ticketKeyId } from "../../src/keys/ticket.ts";

const KEY_ID = "key_0VcSpiNUJYr0KOfcAAcb";
const SECRET = "the gateway's signing secret";
const newTicket = (keyId: string) => mint(keyId, SECRET);
const MAC = "0".repeat(32);
const url = (search: string) => new URL(`https://gw.test/v1/realtime/echo${search}`);

describe("newTicket", () => {
  it("is kgt_<keyId>_<32 base62>_<32 hex MAC>, and names its key", async () => {
    const t = await newTicket(KEY_ID);
    expect(t).toMatch(new RegExp(`^kgt_${KEY_ID}_[0-9A-Za-z]{32}_[0-9a-f]{32}$`));
    expect(ticketKeyId(t)).toBe(KEY_ID);
  });

  it("never repeats", async () => {
    const seen = new Set(await Promise.all(Array.from({ length: 500 }, () => newTicket(KEY_ID))));
    expect(seen.size).toBe(500);
  });

  it("is recognised as keygate's only with the same secret, and with nothing in it changed", async () => {
    const t = await newTicket(KEY_ID);
    expect(await ticketIsOurs(t, SECRET)).toBe(true);
    expect(await ticketIsOurs(t, "another gateway's secret")).toBe(false);
    // Another key's id, another random part or another MAC: each one refused.
    expect(await ticketIsOurs(t.replace(KEY_ID, "key_0VcSpiNUJYr0KOfcAAcc"), SECRET)).toBe(false);
    const [, , random, mac] = /^kgt_(key_\w+?)_([0-9A-Za-z]{32})_([0-9a-f]{32})$/.exec(t)!;
    expect(await ticketIsOurs(t.replace(random!, random!.replace(/^./, (c) => (c === "A" ? "B" : "A"))), SECRET)).toBe(false);
    expect(await ticketIsOurs(t.replace(mac!, mac!.replace(/^./, (c) => (c === "0" ? "1" : "0"))), SECRET)).toBe(false);
    expect(await ticketIsOurs("kgt_nope", SECRET)).toBe(false);
  });

  it("lives 60 s and travels as ?ticket=", () => {
    expect(TICKET_TTL_MS).toBe(60_000);
    expect(TICKET_PARAM).toBe("ticket");
  });
});

describe("ticketKeyId", () => {
  it("answers null for anything not shaped like a ticket", () => {
    const secret = `${"A".repeat(32)}_${MAC}`;
    for (const bad of [
      "",
      "kgt_nope",
      `kgt_${KEY_ID}`,
      `kgt_${KEY_ID}_${"A".repeat(31)}_${MAC}`,
      `kgt_${KEY_ID}_${"A".repeat(33)}_${MAC}`,
      `kgt_${KEY_ID}_${"A".repeat(32)}`,
      `kgt_${KEY_ID}_${"A".repeat(32)}_${MAC}0`,
      `kgt_${KEY_ID}_${"A".repeat(32)}_${"G".repeat(32)}`,
      `kgt_notakey_${secret}`,
      `KGT_${KEY_ID}_${secret}`,
      ` kgt_${KEY_ID}_${secret}`,
      `kgt_${KEY_ID}_${secret}\n`,
      `kgt_key_${"a".repeat(65)}_${secret}`,
      `kgt_key__${secret}`,
      `kg_live_${secret}`,
    ]) {
      expect(ticketKeyId(bad), JSON.stringify(bad)).toBeNull();
    }
  });

  it("accepts the key ids keygate mints", () => {
    expect(ticketKeyId(`kgt_key_a_${"z".repeat(32)}_${MAC}`)).toBe("key_a");
    expect(ticketKeyId(`kgt_key_${"a".repeat(64)}_${"0".repeat(32)}_${MAC}`)).toBe(`key_${"a".repeat(64)}`);
  });
});

describe("hashTicket", () => {
  it("is the SHA-256 hex of the whole ticket, like a key's", async () => {
    const t = await newTicket(KEY_ID);
    const h = await hashTicket(t);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(h).toBe(await hashKey(t));
    expect(await hashTicket(t.replace(KEY_ID, "key_other"))).not.toBe(h);
  });
});

describe("ticketInUrl", () => {
  it("is null when the URL carries no ticket", () => {
    expect(ticketInUrl(url(""))).toBeNull();
    expect(ticketInUrl(url("?room=1"))).toBeNull();
    expect(ticketInUrl(url("?tickets=1"))).toBeNull();
    expect(ticketInUrl(url("?x=ticket"))).toBeNull();
  });

  it("is the ticket when the URL carries exactly one", async () => {
    const t = await newTicket(KEY_ID);
    expect(ticketInUrl(url(`?ticket=${t}`))).toBe(t);
    expect(ticketInUrl(url(`?a=1&ticket=${t}&b=2`))).toBe(t);
  });

  it("is \"\" when the URL carries several", () => {
    expect(ticketInUrl(url("?ticket=a&ticket=b"))).toBe("");
    expect(ticketInUrl(url("?ticket=a&ticket=a"))).toBe("");
  });

  it("sees the parameter however its name is spelled in the query (percent-escapes)", async () => {
    // searchWithoutTicket and the origin decode names, so "%74icket" is the ticket parameter to them.
    const t = await newTicket(KEY_ID);
    expect(ticketInUrl(url(`?%74icket=${t}`))).toBe(t);
    expect(ticketInUrl(url(`?tick%65t=${t}&x=1`))).toBe(t);
    expect(ticketInUrl(url(`?ticket=${t}&%74icket=${t}`))).toBe("");
  });
});

describe("searchWithoutTicket", () => {
  it("drops every ticket and keeps the rest, in order", () => {
    expect(searchWithoutTicket(url("?ticket=x"))).toBe("");
    expect(searchWithoutTicket(url("?a=1&ticket=x&b=2"))).toBe("?a=1&b=2");
    expect(searchWithoutTicket(url("?ticket=x&ticket=y&c=3"))).toBe("?c=3");
    expect(searchWithoutTicket(url("?%74icket=x&c=3"))).toBe("?c=3");
  });

  it("leaves a query without a ticket exactly as sent", () => {
    expect(searchWithoutTicket(url(""))).toBe("");
    expect(searchWithoutTicket(url("?a=%20b&c"))).toBe("?a=%20b&c");
  });
});
