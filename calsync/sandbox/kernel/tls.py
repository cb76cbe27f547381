"""A self-signed certificate for the emulators' TLS endpoints.

msal refuses plain-http authorities and oauthlib refuses plain-http token
endpoints, so the sandbox serves OAuth (and the APIs) over TLS with a
certificate made at start; clients trust that one file explicitly and
never switch verification off.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import tempfile
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class TLSMaterial:
    """Paths of a PEM certificate (also the CA file clients trust) and its private key."""

    cert_path: str
    key_path: str

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context


def make_tls_material(directory: str | None = None, host: str = "127.0.0.1") -> TLSMaterial:
    """Create (or reuse, if already in ``directory``) a certificate valid for ``host``.

    The certificate names 127.0.0.1 as an IP SAN and ``localhost`` as a DNS SAN:
    URLs must use one of those exact names.
    """
    directory = directory or tempfile.mkdtemp(prefix="calsync-sandbox-tls-")
    cert_path = os.path.join(directory, "sandbox-cert.pem")
    key_path = os.path.join(directory, "sandbox-key.pem")
    if os.path.exists(cert_path) and os.path.exists(key_path):
        return TLSMaterial(cert_path, key_path)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "FieldOps calendar sandbox")])
    now = datetime.datetime.now(datetime.timezone.utc)
    alt_names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    try:
        alt_names.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        alt_names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName(list(dict.fromkeys(alt_names))), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    os.makedirs(directory, exist_ok=True)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    with open(cert_path, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    return TLSMaterial(cert_path, key_path)
