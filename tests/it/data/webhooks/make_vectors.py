#!/usr/bin/env python3
"""Signature test vectors for the three providers' webhook schemes, computed
with an implementation independent of the crate: Python's `hmac`, `hashlib`
and `base64`, and `cryptography` (OpenSSL) for Ed25519.

    python3 tests/it/data/webhooks/make_vectors.py > tests/it/data/webhooks/vectors.json

Deterministic: fixed keys, fixed timestamps, fixed bodies. Each vector says
what a verifier must answer: `ok` (with the event type it decodes to) or the
name of the `WebhookError` variant. `pad_to` pads the body with spaces to that
many bytes before signing (the huge bodies).
"""
import base64
import hashlib
import hmac
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

LIMIT = 1024 * 1024  # DEFAULT_MAX_WEBHOOK_BODY_BYTES


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def body_text(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def padded(body: str, pad_to):
    return body if pad_to is None else body + " " * (pad_to - len(body.encode()))


vectors = []


def vector(provider, name, key, headers, body, expect, event_type=None, now=None, pad_to=None):
    entry = {"provider": provider, "name": name, "key": key, "headers": headers, "body": body, "expect": expect}
    if event_type is not None:
        entry["event_type"] = event_type
    if now is not None:
        entry["now"] = now
    if pad_to is not None:
        entry["pad_to"] = pad_to
    vectors.append(entry)


def flip(text: str, at: int) -> str:
    """One character of `text` changed (a byte of the body, or of a header)."""
    replacement = "A" if text[at] != "A" else "B"
    return text[:at] + replacement + text[at + 1:]


# --- Partoo: Ed25519 over the raw body, base64 in X-Partoo-Signature-v1. ---
partoo_key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
other_partoo_key = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
partoo_pem = partoo_key.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
).decode()


def partoo_sign(body: str, key=partoo_key) -> str:
    return b64(key.sign(body.encode()))


partoo_body = body_text({
    "type": "message_created",
    "payload": {
        "message": {"id": 123, "conversation_id": 45, "date": "2023-01-31 16:22:17.327878+00:00",
                    "content_type": "Text", "sender_type": "Consumer", "status": "Success",
                    "is_deleted": False, "content": {"text": "Hello"}},
        "conversation": {"id": 45, "consumer_name": "John Doe", "business": {"id": 7},
                         "messaging_partner": "Whatsapp"},
        "org_id": 9,
    },
})
H = "x-partoo-signature-v1"
signature = partoo_sign(partoo_body)
vector("partoo", "valid", partoo_pem, {H: signature}, partoo_body, "ok", "message_created")
unknown_body = body_text({"type": "conversation_assigned", "payload": {"conversation": {"id": 45}}})
vector("partoo", "unknown event type", partoo_pem, {H: partoo_sign(unknown_body)}, unknown_body, "ok",
       "conversation_assigned")
vector("partoo", "one byte of body changed", partoo_pem, {H: signature}, flip(partoo_body, 40), "BadSignature")
vector("partoo", "header changed", partoo_pem, {H: flip(signature, 10)}, partoo_body, "BadSignature")
vector("partoo", "signature of another body", partoo_pem, {H: partoo_sign(unknown_body)}, partoo_body,
       "BadSignature")
vector("partoo", "wrong key", partoo_pem, {H: partoo_sign(partoo_body, other_partoo_key)}, partoo_body,
       "BadSignature")
vector("partoo", "truncated base64", partoo_pem, {H: signature[:-4]}, partoo_body, "MalformedHeader")
vector("partoo", "padded base64", partoo_pem, {H: signature + "=="}, partoo_body, "MalformedHeader")
vector("partoo", "not base64", partoo_pem, {H: "not a signature!"}, partoo_body, "MalformedHeader")
vector("partoo", "missing header", partoo_pem, {}, partoo_body, "MissingHeader")
vector("partoo", "empty body, signed", partoo_pem, {H: partoo_sign("")}, "", "Payload")
huge = padded(partoo_body, LIMIT + 1)
vector("partoo", "huge body, signed", partoo_pem, {H: partoo_sign(huge)}, partoo_body, "BodyTooLarge",
       pad_to=LIMIT + 1)
at_limit = padded(partoo_body, LIMIT)
vector("partoo", "body at the limit, signed", partoo_pem, {H: partoo_sign(at_limit)}, partoo_body, "ok",
       "message_created", pad_to=LIMIT)

# --- Quo, current: Standard Webhooks. ---
quo_secret = bytes(range(100, 132))
quo_key = "whsec_" + b64(quo_secret)
other_quo_key = "whsec_" + b64(bytes(range(32)))
T = 1_770_000_000  # webhook-timestamp of every current vector


def standard_sign(msg_id: str, ts: str, body: str, secret: bytes = quo_secret) -> str:
    mac = hmac.new(secret, f"{msg_id}.{ts}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + b64(mac)


quo_body = body_text({
    "id": "EV123", "apiVersion": "2026-03-30", "createdAt": "2026-04-13T12:00:00.000Z",
    "type": "message.received",
    "data": {"resource": {"id": "AC123", "conversationId": "CN123", "direction": "incoming",
                          "from": "+18005550100", "to": ["+18005550199"], "text": "Hello",
                          "status": "received", "createdAt": "2026-04-13T12:00:00.000Z"},
             "context": {"contacts": {"lookupStatus": "matched", "ids": ["CT1"]}},
             "links": {"quo": None}},
})


def standard(msg_id="msg_1", ts=str(T), signature=None, body=quo_body):
    return {"webhook-id": msg_id, "webhook-timestamp": ts,
            "webhook-signature": signature or standard_sign(msg_id, ts, body)}


good = standard()
vector("quo", "valid", quo_key, good, quo_body, "ok", "message.received", now=T)
vector("quo", "valid, clock 299 s ahead", quo_key, good, quo_body, "ok", "message.received", now=T + 299)
vector("quo", "valid, clock 299 s behind", quo_key, good, quo_body, "ok", "message.received", now=T - 299)
vector("quo", "stale timestamp (301 s)", quo_key, good, quo_body, "StaleTimestamp", now=T + 301)
vector("quo", "future timestamp (301 s)", quo_key, good, quo_body, "FutureTimestamp", now=T - 301)
vector("quo", "replayed a day later", quo_key, good, quo_body, "StaleTimestamp", now=T + 86_400)
vector("quo", "one byte of body changed", quo_key, good, flip(quo_body, 30), "BadSignature", now=T)
vector("quo", "webhook-id changed", quo_key, dict(good, **{"webhook-id": "msg_2"}), quo_body, "BadSignature",
       now=T)
vector("quo", "timestamp changed (within the window)", quo_key,
       dict(good, **{"webhook-timestamp": str(T + 1)}), quo_body, "BadSignature", now=T)
vector("quo", "signature changed", quo_key,
       dict(good, **{"webhook-signature": "v1," + flip(good["webhook-signature"][3:], 5)}), quo_body,
       "BadSignature", now=T)
vector("quo", "wrong key", other_quo_key, good, quo_body, "BadSignature", now=T)
vector("quo", "two signatures, the second valid", quo_key,
       dict(good, **{"webhook-signature": standard_sign("msg_1", str(T), quo_body, bytes(32)) + " "
                     + good["webhook-signature"]}), quo_body, "ok", "message.received", now=T)
vector("quo", "truncated base64", quo_key,
       dict(good, **{"webhook-signature": good["webhook-signature"][:-4]}), quo_body, "MalformedHeader", now=T)
vector("quo", "padded base64", quo_key,
       dict(good, **{"webhook-signature": good["webhook-signature"] + "=="}), quo_body, "MalformedHeader", now=T)
vector("quo", "only a v1a signature", quo_key,
       dict(good, **{"webhook-signature": "v1a," + good["webhook-signature"][3:]}), quo_body,
       "MalformedHeader", now=T)
vector("quo", "timestamp not an integer", quo_key, dict(good, **{"webhook-timestamp": "17e8"}), quo_body,
       "MalformedHeader", now=T)
vector("quo", "missing webhook-id", quo_key,
       {k: v for k, v in good.items() if k != "webhook-id"}, quo_body, "MissingHeader", now=T)
vector("quo", "no signature header at all", quo_key, {}, quo_body, "MissingHeader", now=T)
empty = standard(body="")
vector("quo", "empty body, signed", quo_key, empty, "", "Payload", now=T)
huge_quo = padded(quo_body, LIMIT + 1)
vector("quo", "huge body, signed", quo_key, standard(body=huge_quo), quo_body, "BodyTooLarge", now=T,
       pad_to=LIMIT + 1)

# --- Quo, legacy: openphone-signature: hmac;1;<ms>;<base64>. ---
legacy_secret = b"legacy-signing-key-0123456789abcdef"
legacy_key = b64(legacy_secret)
MS = T * 1000 + 250


def legacy_sign(ts: str, body: str, secret: bytes = legacy_secret) -> str:
    mac = hmac.new(secret, f"{ts}.{body}".encode(), hashlib.sha256).digest()
    return f"hmac;1;{ts};{b64(mac)}"


legacy_body = body_text({
    "id": "EVc67ec998b35c41d388af50799aeeba3e", "object": "event", "apiVersion": "v4",
    "createdAt": "2022-01-24T19:30:55.400Z", "type": "call.completed",
    "data": {"object": {"id": "AC1", "object": "call", "direction": "incoming", "status": "completed",
                        "duration": 60, "participants": ["+15555555555"]}},
})
L = "openphone-signature"
legacy_good = {L: legacy_sign(str(MS), legacy_body)}
vector("quo", "legacy valid", legacy_key, legacy_good, legacy_body, "ok", "call.completed", now=T)
vector("quo", "legacy stale", legacy_key, legacy_good, legacy_body, "StaleTimestamp", now=T + 301)
vector("quo", "legacy future", legacy_key, legacy_good, legacy_body, "FutureTimestamp", now=T - 301)
vector("quo", "legacy body changed", legacy_key, legacy_good, flip(legacy_body, 25), "BadSignature", now=T)
vector("quo", "legacy wrong key", b64(b"another-key"), legacy_good, legacy_body, "BadSignature", now=T)
vector("quo", "legacy version 2", legacy_key, {L: legacy_good[L].replace("hmac;1;", "hmac;2;")}, legacy_body,
       "MalformedHeader", now=T)
vector("quo", "legacy missing a part", legacy_key, {L: f"hmac;1;{MS}"}, legacy_body, "MalformedHeader", now=T)
vector("quo", "legacy truncated base64", legacy_key, {L: legacy_good[L][:-4]}, legacy_body, "MalformedHeader",
       now=T)
vector("quo", "legacy delivery, whsec key only", quo_key, legacy_good, legacy_body, "SchemeMismatch", now=T)
vector("quo", "current delivery, legacy key only", legacy_key, good, quo_body, "SchemeMismatch", now=T)

# --- TextUs: hex HMAC-SHA256 of the body, keyed by the secret as given. ---
textus_secret = "textus-HOTh4kXxHIbYst0xutpkdw"


def textus_sign(body: str, secret: str = textus_secret) -> str:
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()


textus_body = body_text({
    "@type": "WebhookDelivery", "@context": "/contexts/WebhookDelivery.jsonld",
    "id": "/integrations/h13Jc5/deliveries/xyz", "timestamp": "2018-07-24T20:59:32.156Z",
    "action": "message.received", "webHook": "/integrations/h13Jc5",
    "conversation": {"@type": "Conversation", "id": "/conversations/JYnJBY", "slug": "JYnJBY",
                     "currentState": "open"},
})
X = "x-textus-signature"
textus_signature = textus_sign(textus_body)
vector("textus", "valid", textus_secret, {X: textus_signature}, textus_body, "ok", "message.received")
vector("textus", "valid, upper-case hex", textus_secret, {X: textus_signature.upper()}, textus_body, "ok",
       "message.received")
vector("textus", "one byte of body changed", textus_secret, {X: textus_signature}, flip(textus_body, 50),
       "BadSignature")
vector("textus", "header changed", textus_secret, {X: flip(textus_signature, 7)}, textus_body, "BadSignature")
vector("textus", "wrong secret", "textus-another", {X: textus_signature}, textus_body, "BadSignature")
vector("textus", "truncated hex", textus_secret, {X: textus_signature[:-2]}, textus_body, "MalformedHeader")
vector("textus", "padded hex", textus_secret, {X: textus_signature + "00"}, textus_body, "MalformedHeader")
vector("textus", "not hex", textus_secret, {X: "z" * 64}, textus_body, "MalformedHeader")
vector("textus", "base64 instead of hex", textus_secret,
       {X: b64(bytes.fromhex(textus_signature))}, textus_body, "MalformedHeader")
vector("textus", "missing header", textus_secret, {}, textus_body, "MissingHeader")
vector("textus", "empty body, signed", textus_secret, {X: textus_sign("")}, "", "Payload")
huge_textus = padded(textus_body, LIMIT + 1)
vector("textus", "huge body, signed", textus_secret, {X: textus_sign(huge_textus)}, textus_body,
       "BodyTooLarge", pad_to=LIMIT + 1)

print(json.dumps({"generated_by": "tests/it/data/webhooks/make_vectors.py", "vectors": vectors}, indent=1))
