// The client network an address belongs to, for ranking offenders: a /24 for IPv4 and a /48 for
// IPv6 (one customer's allocation), so a scanner rotating addresses inside its network still adds
// up to one line. Parsed with ipaddr.js; IPv4-mapped IPv6 counts as the IPv4 it maps.
import ipaddr from "ipaddr.js";

export function clientNetwork(ip: string | null | undefined): string {
  // Canonical forms only: "1.2.3" or "01.2.3.4" would parse (as classful or octal) to another address.
  // By shape first: the IPv4 check costs ~50 µs on an IPv6 string (it tries every IPv4 form).
  if (!ip || !(ip.includes(":") ? ipaddr.IPv6.isValid(ip) : ipaddr.IPv4.isValidFourPartDecimal(ip))) return "unknown";
  const addr = ipaddr.process(ip);
  if (addr.kind() === "ipv4") {
    const [a, b, c] = (addr as ipaddr.IPv4).octets;
    return `${a}.${b}.${c}.0/24`;
  }
  const parts = (addr as ipaddr.IPv6).parts;
  return `${new ipaddr.IPv6([parts[0]!, parts[1]!, parts[2]!, 0, 0, 0, 0, 0]).toString()}/48`;
}
