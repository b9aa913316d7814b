"""A local certificate authority per environment (made with trustme) and the server certificate it issues.

The leaf is issued here with ``cryptography`` rather than by trustme: trustme marks the subjectAltName critical
while the subject is not empty, which RFC 5280 forbids and strict validators (SSLyze's) refuse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LEAF_DAYS = 90  # like a public CA's certificates: long enough for tests, short enough to be realistic


@dataclass(frozen=True)
class Authority:
    cert_pem: bytes
    key_pem: bytes


@dataclass(frozen=True)
class ServerCertificate:
    chain_pem: bytes  # the leaf, then the authority
    key_pem: bytes


def new_authority() -> Authority:
    import trustme

    ca = trustme.CA(organization_name="infragate local CA")
    return Authority(ca.cert_pem.bytes(), ca.private_key_pem.bytes())


def issue(
    authority: Authority,
    hosts: list[str],
    *,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> ServerCertificate:
    """A server certificate for ``hosts`` (the first is the subject), signed by ``authority``."""
    ca_cert = x509.load_pem_x509_certificate(authority.cert_pem)
    ca_key = serialization.load_pem_private_key(authority.key_pem, password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    start = not_before or now - timedelta(minutes=5)
    end = not_after or now + timedelta(days=LEAF_DAYS)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return ServerCertificate(certificate.public_bytes(serialization.Encoding.PEM) + authority.cert_pem, key_pem)
