"""Ed25519 signatures over result documents, with one key per agency (`<agency code>.pem` in a folder).

What is signed is the PDF's SHA-256 digest (32 bytes), so anyone holding the PDF and the agency's public key
(`GET /api/v1/agencies/{code}/signing-key`) can check it offline; the verification page checks it too.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from engine.document.kinds import Signature
from engine.dossier.code import is_agency_id

ALGORITHM = "ed25519"


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short fingerprint of a public key: the first 16 hex digits of SHA-256 of its raw bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public_key: Ed25519PublicKey) -> str:
    """The public key as PEM (SubjectPublicKeyInfo), for publishing."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def write_key(folder: Path, agency_code: str) -> Ed25519PublicKey:
    """Create a new private key for an agency (`motcua documents keygen`); refuses to overwrite one."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{agency_code}.pem"
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with path.open("xb") as handle:  # "x": never overwrite a key documents were already signed with
        handle.write(pem)
    path.chmod(0o600)
    return private.public_key()


class KeyDirSigner:
    """The engine's `DocumentSigner`: keys read once from `folder`, an agency without a key signs nothing."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._keys: dict[str, Ed25519PrivateKey | None] = {}
        self._lock = threading.Lock()

    def private_key(self, agency_code: str) -> Ed25519PrivateKey | None:
        """The agency's key, or None when it has none."""
        with self._lock:
            if agency_code not in self._keys:
                self._keys[agency_code] = self._load(agency_code)
            return self._keys[agency_code]

    def _load(self, agency_code: str) -> Ed25519PrivateKey | None:
        if not is_agency_id(agency_code):  # never a path outside the folder
            return None
        path = self.folder / f"{agency_code}.pem"
        if not path.is_file():
            return None
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key")
        return key

    def public_key(self, agency_code: str) -> Ed25519PublicKey | None:
        """The agency's public key, or None."""
        private = self.private_key(agency_code)
        return private.public_key() if private else None

    def sign(self, agency_code: str, sha256: str) -> Signature | None:
        """Sign the PDF's SHA-256 with the agency's key (None when the agency has no key)."""
        private = self.private_key(agency_code)
        if private is None:
            return None
        value = private.sign(bytes.fromhex(sha256))
        return Signature(ALGORITHM, key_id(private.public_key()), base64.b64encode(value).decode("ascii"))

    def verify(self, agency_code: str, sha256: str, signature: Signature) -> bool:
        """True when the signature is the agency's current key's over that SHA-256."""
        public = self.public_key(agency_code)
        if public is None or signature.algorithm != ALGORITHM or signature.key_id != key_id(public):
            return False
        try:
            public.verify(base64.b64decode(signature.value), bytes.fromhex(sha256))
        except (InvalidSignature, ValueError):
            return False
        return True
