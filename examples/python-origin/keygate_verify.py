"""Verify requests forwarded by keygate (RFC 9421 HTTP Message Signatures, Ed25519, RFC 9530
Content-Digest). The Python twin of origin/verify.ts: the same checks, the same reason codes.

Only dependency: the `cryptography` package (Debian/Ubuntu: python3-cryptography). Copy this file
into your origin.

    identity = verify_keygate_request(
        method="POST", target="/v1/ingest?x=1", headers=[("Host", "..."), ...], body=b"...",
        jwks=json.load(open("jwks.json")),
    )
    identity["keyId"], identity["tenantId"], identity["scopes"], ...

Anything wrong raises KeygateSignatureError with a stable `reason`; answer 401 and stop there.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from typing import Callable, Dict, Iterable, List, Mapping, NoReturn, Optional, Sequence, Tuple, Union
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

IDENTITY_HEADERS = (
    "x-keygate-key-id",
    "x-keygate-tenant-id",
    "x-keygate-scopes",
    "x-keygate-environment",
    "x-request-id",
)
JOB_HEADER = "x-keygate-job-id"
RESOURCE_HEADER = "x-keygate-resource"
DERIVED = ("@method", "@authority", "@path", "@query")

REASONS = (
    "missing-signature",  # no Signature / Signature-Input, or no member with our label
    "duplicate-signature",  # our label appears more than once
    "malformed-signature",  # not a valid Structured Field, wrong types, bad parameters
    "unsupported-alg",  # alg absent or not "ed25519"
    "unknown-key",  # keyid not in the JWKS (e.g. a retired key)
    "missing-component",  # a required component is not covered by the signature
    "unsupported-component",  # a covered component this helper cannot compute
    "missing-header",  # a covered header is absent from the request
    "created-in-future",  # created later than now + max_skew_seconds
    "expired",  # now is past expires
    "digest-missing",  # a body without a signed content-digest (sha-256)
    "digest-mismatch",  # the body does not match content-digest
    "bad-signature",  # the signature does not verify
)


class KeygateSignatureError(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


def _fail(reason: str, message: str) -> NoReturn:
    raise KeygateSignatureError(reason, message)


Jwks = Mapping[str, Sequence[Mapping[str, object]]]
# A provider is called with unknown_kid=None normally, and once with the kid when a signature names
# a key the set did not list (after a rotation); it may refetch then.
JwksProvider = Callable[[Optional[str]], Jwks]
HeaderPairs = Iterable[Tuple[str, str]]


def verify_keygate_request(
    *,
    method: str,
    target: str,
    headers: Union[HeaderPairs, Mapping[str, str]],
    body: bytes,
    jwks: Union[Jwks, JwksProvider],
    now: Optional[int] = None,
    max_skew_seconds: int = 60,
    required_components: Sequence[str] = (),
    authority: Optional[str] = None,
    label: str = "kg",
) -> dict:
    """Verify one request. `target` is the request-target as received ("/path?query", or an absolute
    URL); `headers` are (name, value) pairs as received, repeated names included; `authority` is the
    host[:port] keygate was configured to send to (default: the Host header)."""
    pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    now = int(time.time()) if now is None else now

    def field(name: str) -> Optional[str]:
        # RFC 9421 §2.1: each field line trimmed, repeated lines joined with ", ".
        values = [v.strip(" \t") for (n, v) in pairs if n.lower() == name]
        return ", ".join(values) if values else None

    # 1. Exactly one signature with our label; both fields valid Structured Field Dictionaries.
    input_field, signature_field = field("signature-input"), field("signature")
    if input_field is None or signature_field is None:
        _fail("missing-signature", "Signature and Signature-Input are required")
    inputs, input_dups = _parse_or_fail(input_field, "Signature-Input")
    signatures, signature_dups = _parse_or_fail(signature_field, "Signature")
    if label in input_dups or label in signature_dups:
        _fail("duplicate-signature", f"more than one signature labelled {label}")
    sig_input, signature = inputs.get(label), signatures.get(label)
    if sig_input is None or signature is None:
        _fail("missing-signature", f"no signature labelled {label}")
    if not isinstance(sig_input, InnerList):
        _fail("malformed-signature", "Signature-Input member is not an Inner List")
    if not isinstance(signature, Item) or not isinstance(signature.value, bytes):
        _fail("malformed-signature", "Signature member is not a Byte Sequence")

    # 2. Covered components: Strings without parameters, each once, field names in lowercase.
    covered: List[str] = []
    for item in sig_input.items:
        if not isinstance(item.value, str) or isinstance(item.value, Token):
            _fail("malformed-signature", "a component identifier is not a String")
        if item.params:
            _fail("unsupported-component", "component parameters (;sf ;key ;bs ;req ;tr) are not supported")
        name = item.value
        if name in covered:
            _fail("malformed-signature", f"component {name} is listed twice")
        if name.startswith("@"):
            if name not in DERIVED:
                _fail("unsupported-component", f"derived component {name} is not supported")
        elif name != name.lower() or not _TCHARS.fullmatch(name):
            _fail("malformed-signature", f"component {name!r} is not a lowercase field name")
        covered.append(name)

    # 3. Parameters: alg, keyid, created, expires.
    params = sig_input.params
    alg = params.get("alg")
    if not _is_string(alg) or alg != "ed25519":
        _fail("unsupported-alg", 'alg must be "ed25519"')
    keyid = params.get("keyid")
    if not _is_string(keyid):
        _fail("malformed-signature", "keyid must be a String")
    created, expires = params.get("created"), params.get("expires")
    if not _is_integer(created) or not _is_integer(expires):
        _fail("malformed-signature", "created and expires must be present Integers")
    if expires <= created:
        _fail("malformed-signature", "expires is not after created")
    if created > now + max_skew_seconds:
        _fail("created-in-future", f"created {created} is after now ({now}) + {max_skew_seconds} s")
    if now > expires:
        _fail("expired", f"expired at {expires}, now {now}")

    # 4. The key, by kid; an unknown kid asks a provider once more.
    jwk = _find_key(jwks, keyid)
    if jwk is None:
        _fail("unknown-key", f"no key {keyid!r} in the JWKS")

    # 5. Required components (content-digest depends on the body, below).
    job_present = field(JOB_HEADER) is not None
    # Present, it is part of the identity: an unsigned one (added after keygate) must not be trusted.
    resource_present = field(RESOURCE_HEADER) is not None
    required = (
        list(DERIVED)
        + list(IDENTITY_HEADERS)
        + ([JOB_HEADER] if job_present else [])
        + ([RESOURCE_HEADER] if resource_present else [])
        + list(required_components)
    )
    for name in required:
        if name != "content-digest" and name not in covered:
            _fail("missing-component", f"the signature does not cover {name}")
    if (len(body) > 0 or "content-digest" in required) and "content-digest" not in covered:
        _fail("digest-missing", "a request with a body must carry a signed Content-Digest")

    # 6. The signature base (RFC 9421 §2.5) and the signature.
    if target.startswith("/"):  # origin-form, the usual case ("//x" is a path here, not a host)
        raw_path, _, raw_query = target.partition("?")
        netloc = ""
    else:  # absolute-form
        split = urlsplit(target)
        raw_path, raw_query, netloc = split.path, split.query, split.netloc
    path = raw_path or "/"
    query = "?" + raw_query  # RFC 9421 §2.2.7: "?" alone when there is no query
    if authority is None:
        authority = netloc or field("host") or ""
    lines = []
    for name in covered:
        if name == "@method":
            value = method
        elif name == "@authority":
            value = authority.lower()
        elif name == "@path":
            value = path
        elif name == "@query":
            value = query
        else:
            value = field(name)
            if value is None:
                _fail("missing-header", f"covered header {name} is absent")
        if "\r" in value or "\n" in value:
            _fail("malformed-signature", f"component {name} contains a line break")
        lines.append(f"{_serialize_string(name)}: {value}")
    lines.append(f'"@signature-params": {_serialize_inner_list(sig_input)}')
    # Header values arrive as latin-1 text (one character per byte); keygate's TextEncoder encodes
    # the same characters as UTF-8, so do the same here.
    base = "\n".join(lines).encode("utf-8")
    try:
        public_key = Ed25519PublicKey.from_public_bytes(_b64url_decode(str(jwk["x"])))
    except Exception:
        _fail("unknown-key", "the JWKS key is not a valid Ed25519 public key")
    if len(signature.value) != 64:
        _fail("bad-signature", "the signature does not verify")
    try:
        public_key.verify(signature.value, base)
    except InvalidSignature:
        _fail("bad-signature", "the signature does not verify")

    # 7. The digest of the body actually received.
    if "content-digest" in covered:
        try:
            digests, digest_dups = parse_dictionary(field("content-digest") or "")
        except ValueError:
            _fail("digest-missing", "Content-Digest is not a valid Dictionary")
        sha = digests.get("sha-256")
        if not isinstance(sha, Item) or not isinstance(sha.value, bytes) or "sha-256" in digest_dups:
            _fail("digest-missing", "Content-Digest has no single sha-256 value")
        if not hmac.compare_digest(hashlib.sha256(body).digest(), sha.value):
            _fail("digest-mismatch", "the body does not match Content-Digest")

    identity = {
        "keyId": field("x-keygate-key-id"),
        "tenantId": field("x-keygate-tenant-id"),
        "scopes": [s for s in re.split(r"[\s,]+", field("x-keygate-scopes") or "") if s],
        "environment": field("x-keygate-environment"),
        "requestId": field("x-request-id"),
    }
    if job_present:
        identity["jobId"] = field(JOB_HEADER)
    if resource_present:
        # "agent=a_1": the resource keygate admitted the request for, split at the first "=".
        rtype, eq, rid = (field(RESOURCE_HEADER) or "").partition("=")
        if not rtype or not eq or not rid:
            _fail("malformed-signature", "x-keygate-resource is not type=id")
        identity["resource"] = {"type": rtype, "id": rid}
    return identity


def _find_key(source: Union[Jwks, JwksProvider], kid: str) -> Optional[Mapping[str, object]]:
    def pick(jwks: Jwks) -> Optional[Mapping[str, object]]:
        keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
        for k in keys if isinstance(keys, list) else []:
            if (
                isinstance(k, Mapping)
                and k.get("kid") == kid
                and k.get("kty") == "OKP"
                and k.get("crv") == "Ed25519"
                and isinstance(k.get("x"), str)
                and k.get("use", "sig") == "sig"
                and k.get("alg", "EdDSA") in ("EdDSA", "Ed25519")
            ):
                return k
        return None

    if callable(source):
        return pick(source(None)) or pick(source(kid))
    return pick(source)


def _parse_or_fail(value: str, name: str):
    try:
        return parse_dictionary(value)
    except ValueError as err:
        _fail("malformed-signature", f"{name}: {err}")


def _b64url_decode(s: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]+", s):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _is_string(v: object) -> bool:
    return isinstance(v, str) and not isinstance(v, Token)


def _is_integer(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


# ---------------------------------------------------------------------------------------------
# RFC 8941 Structured Field Values: the Dictionary parser (§4.2.2) with Inner Lists, Parameters
# and every bare item type, and the Inner List serializer (§4.1.1.1) for "@signature-params".
# Bare items map to: int (Integer), float (Decimal), str (String), Token (a str subclass),
# bytes (Byte Sequence), bool (Boolean).


class Token(str):
    pass


class Decimal(float):
    pass


class Item:
    def __init__(self, value, params: Dict[str, object]) -> None:
        self.value = value
        self.params = params


class InnerList:
    def __init__(self, items: List[Item], params: Dict[str, object]) -> None:
        self.items = items
        self.params = params


_TCHARS = re.compile(r"[!#$%&'*+\-.^_`|~0-9a-z]+")
_KEY_CHAR = re.compile(r"[a-z0-9_\-.*]")
_TOKEN_CHAR = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z:/]")
_B64_CHAR = re.compile(r"[A-Za-z0-9+/=]")


class _Parser:
    def __init__(self, s: str) -> None:
        self.s = s
        self.i = 0

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def error(self, what: str):
        raise ValueError(f"{what} at position {self.i}")

    def skip_sp(self) -> None:
        while self.peek() == " ":
            self.i += 1

    def skip_ows(self) -> None:
        while self.peek() in (" ", "\t"):
            self.i += 1

    def dictionary(self):
        members: Dict[str, object] = {}
        duplicates = set()
        self.skip_sp()
        while self.i < len(self.s):
            key = self.key()
            if self.peek() == "=":
                self.i += 1
                member = self.inner_list() if self.peek() == "(" else self.item()
            else:
                member = Item(True, self.parameters())
            if key in members:
                duplicates.add(key)
            members[key] = member
            self.skip_ows()
            if self.i >= len(self.s):
                break
            if self.peek() != ",":
                self.error("expected ','")
            self.i += 1
            self.skip_ows()
            if self.i >= len(self.s):
                self.error("trailing ','")
        return members, duplicates

    def inner_list(self) -> InnerList:
        self.i += 1  # "("
        items: List[Item] = []
        while self.i < len(self.s):
            self.skip_sp()
            if self.peek() == ")":
                self.i += 1
                return InnerList(items, self.parameters())
            items.append(self.item())
            if self.peek() not in (" ", ")") or not self.peek():
                self.error("expected ' ' or ')' in an Inner List")
        self.error("unterminated Inner List")

    def item(self) -> Item:
        return Item(self.bare_item(), self.parameters())

    def parameters(self) -> Dict[str, object]:
        params: Dict[str, object] = {}
        while self.peek() == ";":
            self.i += 1
            self.skip_sp()
            key = self.key()
            value: object = True
            if self.peek() == "=":
                self.i += 1
                value = self.bare_item()
            params[key] = value
        return params

    def key(self) -> str:
        c = self.peek()
        if not (c and ("a" <= c <= "z" or c == "*")):
            self.error("expected a key")
        start = self.i
        while self.i < len(self.s) and _KEY_CHAR.fullmatch(self.s[self.i]):
            self.i += 1
        return self.s[start : self.i]

    def bare_item(self):
        c = self.peek()
        if c == "-" or (c and c.isascii() and c.isdigit()):
            return self.number()
        if c == '"':
            return self.string()
        if c == "*" or (c and c.isascii() and c.isalpha()):
            return self.token()
        if c == ":":
            return self.byte_sequence()
        if c == "?":
            return self.boolean()
        self.error("expected an Item")

    def number(self):
        sign = 1
        if self.peek() == "-":
            sign = -1
            self.i += 1
        if not (self.peek().isascii() and self.peek().isdigit()):
            self.error("expected a digit")
        start = self.i
        decimal = False
        while self.i < len(self.s):
            c = self.s[self.i]
            if c.isascii() and c.isdigit():
                self.i += 1
            elif c == "." and not decimal:
                if self.i - start > 12:
                    self.error("Decimal integer part too long")
                decimal = True
                self.i += 1
            else:
                break
            if not decimal and self.i - start > 15:
                self.error("Integer too long")
            if decimal and self.i - start > 16:
                self.error("Decimal too long")
        text = self.s[start : self.i]
        if not decimal:
            return sign * int(text)
        if text.endswith("."):
            self.error("Decimal ends with '.'")
        if len(text) - text.index(".") - 1 > 3:
            self.error("Decimal has more than 3 fractional digits")
        return Decimal(sign * float(text))

    def string(self) -> str:
        self.i += 1  # '"'
        out = []
        while self.i < len(self.s):
            c = self.s[self.i]
            self.i += 1
            if c == "\\":
                nxt = self.s[self.i] if self.i < len(self.s) else ""
                self.i += 1
                if nxt not in ('"', "\\") or not nxt:
                    self.error("bad escape in String")
                out.append(nxt)
            elif c == '"':
                return "".join(out)
            elif not (" " <= c <= "~"):
                self.error("non-printable character in String")
            else:
                out.append(c)
        self.error("unterminated String")

    def token(self) -> Token:
        start = self.i
        self.i += 1
        while self.i < len(self.s) and _TOKEN_CHAR.fullmatch(self.s[self.i]):
            self.i += 1
        return Token(self.s[start : self.i])

    def byte_sequence(self) -> bytes:
        self.i += 1  # ":"
        start = self.i
        while self.i < len(self.s) and self.s[self.i] != ":":
            if not _B64_CHAR.fullmatch(self.s[self.i]):
                self.error("bad character in Byte Sequence")
            self.i += 1
        if self.i >= len(self.s):
            self.error("unterminated Byte Sequence")
        b64 = self.s[start : self.i]
        self.i += 1  # ":"
        stripped = b64.rstrip("=")
        if "=" in stripped or len(stripped) % 4 == 1:
            self.error("bad base64 in Byte Sequence")
        return base64.b64decode(stripped + "=" * (-len(stripped) % 4))

    def boolean(self) -> bool:
        self.i += 1  # "?"
        c = self.peek()
        self.i += 1
        if c == "1":
            return True
        if c == "0":
            return False
        self.error("bad Boolean")


def parse_dictionary(value: str):
    """Parse an RFC 8941 Dictionary. Returns (members, duplicate_keys); raises ValueError."""
    parser = _Parser(value.strip(" "))
    members, duplicates = parser.dictionary()
    if parser.i < len(parser.s):
        raise ValueError("trailing characters")
    return members, duplicates


def _serialize_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _serialize_bare_item(v) -> str:
    if isinstance(v, bool):
        return "?1" if v else "?0"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        r = round(v, 3)
        return f"{r:.1f}" if r == int(r) else repr(r)
    if isinstance(v, Token):
        return str(v)
    if isinstance(v, str):
        return _serialize_string(v)
    if isinstance(v, bytes):
        return ":" + base64.b64encode(v).decode("ascii") + ":"
    raise ValueError(f"cannot serialize {v!r}")


def _serialize_params(params: Dict[str, object]) -> str:
    out = ""
    for key, value in params.items():
        out += f";{key}" if value is True else f";{key}={_serialize_bare_item(value)}"
    return out


def _serialize_inner_list(lst: InnerList) -> str:
    items = " ".join(_serialize_bare_item(it.value) + _serialize_params(it.params) for it in lst.items)
    return f"({items}){_serialize_params(lst.params)}"
