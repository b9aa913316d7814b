"""Signed checkpoints of the audit log's head: what lets the log prove it is whole.

A hash chain shows that no entry was edited or removed from the middle, but not that the tail is all there,
that nobody deleted everything, appended a well-formed forgery or re-hashed the chain after an edit: anyone
with the database can compute SHA-256. So every append also signs the new head (its id, hash and the number
of entries) with an Ed25519 key kept outside the database, and the latest signed head is also written to a
file beside the key. ``audit_log.verify`` checks the chain, every checkpoint's signature, that each
checkpoint's head is still in the log with the same hash, that no entry lies beyond the latest checkpoint, and
that the database still holds the head recorded outside it. An auditor needs only the public key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from infragate.errors import StoreError
from infragate.files import write_bytes_atomically
from infragate.json_values import JsonObject

HEAD_FILE_SUFFIX = ".head.json"  # the latest signed head, kept beside the key, outside the database


@dataclass(frozen=True)
class Head:
    """What a checkpoint attests: the log had ``count`` entries, the last being ``head_id`` with ``head_hash``."""

    count: int
    head_id: int
    head_hash: str
    at: datetime

    def payload(self) -> bytes:
        stamp = self.at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
        body = {"count": self.count, "head_id": self.head_id, "head_hash": self.head_hash, "at": stamp}
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def to_json(self, key_id: str, signature: str) -> JsonObject:
        return {
            "count": self.count,
            "head_id": self.head_id,
            "head_hash": self.head_hash,
            "at": self.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "key_id": key_id,
            "signature": signature,
        }


def key_id_of(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_key(data: bytes, where: str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as problem:
        raise StoreError(
            f"{where} is not a PEM public key ({problem})", hint="Use the public.pem of the export."
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise StoreError(f"{where} is not an Ed25519 public key", hint="Use the public.pem of the export.")
    return key


def check_signature(public: Ed25519PublicKey, head: Head, signature: str) -> bool:
    try:
        public.verify(base64.b64decode(signature), head.payload())
    except (InvalidSignature, ValueError):
        return False
    return True


class Signer:
    """The audit log's signing key: an Ed25519 private key in a file only its owner can read, created on first
    use. The latest signed head is kept in ``<key>.head.json``."""

    def __init__(self, key_file: Path) -> None:
        self.key_file = key_file
        self.head_file = key_file.with_name(key_file.name + HEAD_FILE_SUFFIX)
        self._private = self._load_or_create()
        self.public = self._private.public_key()
        self.key_id = key_id_of(self.public)

    def _load_or_create(self) -> Ed25519PrivateKey:
        try:
            data = self.key_file.read_bytes()
        except FileNotFoundError:
            return self._create()
        except OSError as problem:
            raise StoreError(
                f"cannot read the audit-log signing key {self.key_file}: {problem.strerror}",
                hint="Check its permissions, or point INFRAGATE_AUDIT_KEY at the key file.",
            ) from None
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except ValueError:
            key = None
        if not isinstance(key, Ed25519PrivateKey):
            raise StoreError(
                f"{self.key_file} is not an Ed25519 private key",
                hint="Restore the key file from backup; without it new checkpoints cannot be signed.",
            )
        return key

    def _create(self) -> Ed25519PrivateKey:
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        self.key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            descriptor = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return self._load_or_create()
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        return key

    def sign(self, head: Head) -> str:
        return base64.b64encode(self._private.sign(head.payload())).decode()

    def record_outside(self, head: Head, signature: str) -> None:
        """Keep the latest signed head beside the key (after the transaction that wrote it has committed)."""
        current = read_head_file(self.head_file)
        recorded_id = current.get("head_id") if current is not None else None
        if isinstance(recorded_id, int) and recorded_id >= head.head_id:
            return  # a later head was already recorded by a concurrent writer
        data = json.dumps(head.to_json(self.key_id, signature), indent=2).encode()
        write_bytes_atomically(self.head_file, data)


def read_head_file(path: Path) -> JsonObject | None:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {"unreadable": True}
    return data if isinstance(data, dict) else {"unreadable": True}
