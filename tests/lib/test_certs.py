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
