"""deploy/gen-self-signed-cert.sh: the first-start certificate for nginx."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess

import pytest

from .helpers import DEPLOY, services

SCRIPT = DEPLOY / "gen-self-signed-cert.sh"
pytestmark = pytest.mark.skipif(not shutil.which("openssl"), reason="openssl not installed")


def generate(target, allowed_hosts: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "ALLOWED_HOSTS"}
    if allowed_hosts is not None:
        env["ALLOWED_HOSTS"] = allowed_hosts
    return subprocess.run(["sh", str(SCRIPT), str(target)], env=env, capture_output=True, text=True)


def x509(cert, *args: str) -> str:
    return subprocess.run(["openssl", "x509", "-in", str(cert), "-noout", *args],
                          capture_output=True, text=True, check=True).stdout


def test_creates_a_certificate_for_every_allowed_host(tmp_path):
    result = generate(tmp_path / "certs", "radcase.example.org, .example.net,10.1.2.3,*")
    assert result.returncode == 0, result.stderr
    cert, key = tmp_path / "certs" / "fullchain.pem", tmp_path / "certs" / "privkey.pem"
    sans = x509(cert, "-ext", "subjectAltName")
    for name in ("DNS:radcase.example.org", "DNS:example.net", "DNS:*.example.net",
                 "IP Address:10.1.2.3", "DNS:localhost", "IP Address:127.0.0.1"):
        assert name in sans
    assert "CN = radcase.example.org" in x509(cert, "-subject")
    assert "TLS Web Server Authentication" in x509(cert, "-ext", "extendedKeyUsage")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    # the key belongs to the certificate
    pub_cert = subprocess.run(["openssl", "x509", "-in", str(cert), "-noout", "-pubkey"],
                              capture_output=True, check=True).stdout
    pub_key = subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout"],
                             capture_output=True, check=True).stdout
    assert pub_cert == pub_key
    assert not list((tmp_path / "certs").glob("*.tmp.*"))


def test_a_wildcard_host_is_not_globbed_into_file_names(tmp_path):
    (tmp_path / "a-file-in-cwd").write_text("")
    result = subprocess.run(["sh", str(SCRIPT), str(tmp_path / "certs")], cwd=tmp_path,
                            env={**os.environ, "ALLOWED_HOSTS": "*"}, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "a-file-in-cwd" not in x509(tmp_path / "certs" / "fullchain.pem", "-ext", "subjectAltName")


def test_works_without_allowed_hosts(tmp_path):
    assert generate(tmp_path, None).returncode == 0
    assert "CN = localhost" in x509(tmp_path / "fullchain.pem", "-subject")


def test_never_replaces_an_existing_certificate(tmp_path):
    (tmp_path / "fullchain.pem").write_text("operator's real certificate")
    (tmp_path / "privkey.pem").write_text("operator's real key")
    result = generate(tmp_path, "radcase.example.org")
    assert result.returncode == 0 and "leaving it alone" in result.stdout
    assert (tmp_path / "fullchain.pem").read_text() == "operator's real certificate"
    assert (tmp_path / "privkey.pem").read_text() == "operator's real key"


def test_compose_runs_it_once_into_the_volume_nginx_reads():
    certs = services()["certs"]
    assert certs["command"] == ["/app/deploy/gen-self-signed-cert.sh", "/certs"]
    assert "certs:/certs" in certs["volumes"]
    assert certs["restart"] == "no"
    assert services()["nginx"]["depends_on"]["certs"]["condition"] == "service_completed_successfully"
