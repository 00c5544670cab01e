"""Certificates for TLS tests, made per run with the openssl tool: a CA and
certificates it signs (ECDSA P-256, two days), with a chosen common name,
extended key usage and subject alternative names."""

import os
import subprocess

_EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(d, name="ca", cn="test-ca"):
    """<d>/<name>.pem and .key: a self-signed CA. Returns the certificate's path."""
    openssl("req", "-x509", *_EC, "-keyout", f"{name}.key", "-out", f"{name}.pem", "-subj",
            f"/CN={cn}", "-days", "2", cwd=d)
    return os.path.join(d, f"{name}.pem")


def issue(d, name, cn, usage="serverAuth,clientAuth", san="IP:127.0.0.1,DNS:localhost",
          ca="ca"):
    """<d>/<name>.pem and .key signed by CA <ca> in `d`. Returns (cert, key) paths."""
    openssl("req", *_EC, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}",
            cwd=d)
    with open(os.path.join(d, f"{name}.ext"), "w") as f:
        f.write((f"subjectAltName={san}\n" if san else "") + f"extendedKeyUsage={usage}\n")
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext",
            cwd=d)
    return os.path.join(d, f"{name}.pem"), os.path.join(d, f"{name}.key")


def serial_of(cert_path):
    """The certificate's serial number."""
    from cryptography import x509
    with open(cert_path, "rb") as f:
        return x509.load_pem_x509_certificate(f.read()).serial_number


def make_crl(d, revoked, name="crl", ca="ca"):
    """<d>/<name>.pem: a CRL signed by CA <ca> in `d` revoking the
    certificates at the paths in `revoked` (python3-cryptography). Returns
    its path."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    with open(os.path.join(d, f"{ca}.pem"), "rb") as f:
        ca_cert = x509.load_pem_x509_certificate(f.read())
    with open(os.path.join(d, f"{ca}.key"), "rb") as f:
        ca_key = serialization.load_pem_private_key(f.read(), password=None)
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca_cert.subject)
               .last_update(now).next_update(now + datetime.timedelta(days=2)))
    for path in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial_of(path))
            .revocation_date(now).build())
    crl = builder.sign(ca_key, hashes.SHA256())
    out = os.path.join(d, f"{name}.pem")
    with open(out, "wb") as f:
        f.write(crl.public_bytes(serialization.Encoding.PEM))
    return out
