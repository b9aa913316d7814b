"""TLS checks of one HTTPS endpoint, with SSLyze: old protocols refused and modern ones accepted, no weak
cipher suite, a certificate chain trusted for the host name (by the public trust stores SSLyze ships, or by
the environment's CA bundle), a certificate that lives long enough; OCSP stapling and certificate
transparency as information. SSLyze connects to the pinned address with the URL's host name as SNI."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from infragate.infratest.results import Area, CheckResult, Verdict
from infragate.infratest.scope import Destination
from infragate.json_values import Json

if TYPE_CHECKING:  # for annotations only: SSLyze is imported when TLS is checked
    from sslyze.plugins.openssl_cipher_suites._test_cipher_suite import CipherSuiteAcceptedByServer
    from sslyze.scanner.models import CertificateInfoScanAttempt

Check: TypeAlias = Callable[..., CheckResult]  # (name, verdict, detail, **information) -> the check's result

OLD = ("ssl_2_0_cipher_suites", "ssl_3_0_cipher_suites", "tls_1_0_cipher_suites", "tls_1_1_cipher_suites")
MODERN = ("tls_1_2_cipher_suites", "tls_1_3_cipher_suites")
WEAK_MARKERS = ("NULL", "EXPORT", "anon", "ADH", "AECDH", "RC4", "DES", "MD5", "IDEA", "SEED", "PSK")
WEAK_KEY_BITS = 128


def tls_checks(destination: Destination, ca_bundle: Path | None, min_days: int, timeout: float) -> list[CheckResult]:
    """Every TLS check of the endpoint (blocking: SSLyze runs its own threads; call it in a thread)."""
    from sslyze.plugins.certificate_info.implementation import CertificateInfoExtraArgument
    from sslyze.plugins.scan_commands import ScanCommand
    from sslyze.scanner.models import ScanCommandsExtraArguments, ServerScanRequest, ServerScanStatusEnum
    from sslyze.scanner.scanner import Scanner
    from sslyze.server_setting import ServerNetworkConfiguration, ServerNetworkLocation

    started = time.perf_counter()
    url = destination.url
    location = ServerNetworkLocation(destination.host, destination.connect_port, destination.address)
    request = ServerScanRequest(
        server_location=location,
        network_configuration=ServerNetworkConfiguration(
            tls_server_name_indication=destination.host, network_timeout=int(max(timeout, 1))
        ),
        scan_commands={ScanCommand.CERTIFICATE_INFO, *(ScanCommand(name) for name in OLD + MODERN)},
        scan_commands_extra_arguments=ScanCommandsExtraArguments(
            certificate_info=CertificateInfoExtraArgument(custom_ca_file=ca_bundle) if ca_bundle else None
        ),
    )
    with warnings.catch_warnings():  # SSLyze's bundled trust stores hold old certificates cryptography warns of
        warnings.simplefilter("ignore")
        scanner = Scanner(per_server_concurrent_connections_limit=10, concurrent_server_scans_limit=1)
        scanner.queue_scans([request])
        (result,) = list(scanner.get_results())
    took = (time.perf_counter() - started) * 1000

    def check(name: str, verdict: Verdict, detail: str, **info: Json) -> CheckResult:
        return CheckResult(Area.TLS, name, url, verdict, detail, took, dict(info))

    if result.scan_status is not ServerScanStatusEnum.COMPLETED or result.scan_result is None:
        reason = result.connectivity_error_trace or result.connectivity_status
        return [check("tls-handshake", Verdict.ERROR, f"no TLS connection: {str(reason).strip()[:300]}")]
    scan = result.scan_result
    accepted: dict[str, list[CipherSuiteAcceptedByServer]] = {}
    for name in OLD + MODERN:
        attempt = getattr(scan, name)
        accepted[name] = list(attempt.result.accepted_cipher_suites) if attempt.result is not None else []
    results = []
    old = [_version(n) for n in OLD if accepted[n]]
    results.append(
        check(
            "old-tls-refused",
            Verdict.FAILED if old else Verdict.PASSED,
            f"accepts {', '.join(old)}" if old else "SSL 2/3 and TLS 1.0/1.1 refused",
        )
    )
    modern = [_version(n) for n in MODERN if accepted[n]]
    results.append(
        check(
            "modern-tls-accepted",
            Verdict.PASSED if modern else Verdict.FAILED,
            f"accepts {', '.join(modern)}" if modern else "neither TLS 1.2 nor TLS 1.3 is accepted",
            versions=modern,
        )
    )
    weak = sorted(
        {
            suite.cipher_suite.name
            for name in OLD + MODERN
            for suite in accepted[name]
            if suite.cipher_suite.key_size < WEAK_KEY_BITS
            or any(marker in suite.cipher_suite.name for marker in WEAK_MARKERS)
        }
    )
    results.append(
        check(
            "weak-ciphers",
            Verdict.FAILED if weak else Verdict.PASSED,
            f"weak suites accepted: {', '.join(weak)}" if weak else "no weak cipher suite accepted",
        )
    )
    results += _certificate(check, scan.certificate_info, destination.host, min_days)
    return results


def _version(scan_name: str) -> str:
    family, major, minor = scan_name.split("_")[:3]
    return f"{family.upper()} {major}.{minor}"


def _certificate(check: Check, attempt: CertificateInfoScanAttempt, host: str, min_days: int) -> list[CheckResult]:
    if attempt.result is None or not attempt.result.certificate_deployments:
        reason = getattr(attempt, "error_reason", None) or "no certificate was received"
        return [check("certificate-trusted", Verdict.ERROR, f"the certificate could not be read: {reason}")]
    deployment = attempt.result.certificate_deployments[0]
    leaf = deployment.received_certificate_chain[0]
    trusted_by = [r.trust_store.name for r in deployment.path_validation_results if r.was_validation_successful]
    names = _dns_names(leaf)
    matches = any(_matches(host, name) for name in names)
    results = []
    if not matches:
        results.append(
            check(
                "certificate-trusted",
                Verdict.FAILED,
                f"the certificate is for {', '.join(names) or 'no DNS name'}, not {host}",
            )
        )
    elif not trusted_by:
        results.append(
            check(
                "certificate-trusted",
                Verdict.FAILED,
                "the chain is not trusted by the public trust stores nor the environment's CA bundle",
            )
        )
    else:
        results.append(
            check(
                "certificate-trusted",
                Verdict.PASSED,
                f"valid for {host}, trusted by {', '.join(trusted_by)}",
                trusted_by=trusted_by,
            )
        )
    expires = leaf.not_valid_after_utc
    days = (expires - datetime.now(UTC)).days
    results.append(
        check(
            "certificate-expiry",
            Verdict.PASSED if days > min_days else Verdict.FAILED,
            f"expires {expires:%Y-%m-%d} ({days} days){'' if days > min_days else f', within {min_days} days'}",
            expires=expires.isoformat(),
            days_left=days,
        )
    )
    stapled = deployment.ocsp_response is not None
    sct = deployment.leaf_certificate_signed_certificate_timestamps_count
    results.append(
        check(
            "ocsp-and-transparency",
            Verdict.INFO,
            f"OCSP stapling {'on' if stapled else 'off'}; {sct or 0} embedded certificate transparency timestamps",
            ocsp_stapling=stapled,
            sct_count=sct or 0,
        )
    )
    return results


def _dns_names(certificate: x509.Certificate) -> list[str]:
    try:
        extension = certificate.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    except x509.ExtensionNotFound:
        return []
    names = extension.value
    if not isinstance(names, x509.SubjectAlternativeName):
        return []
    return [str(name) for name in names.get_values_for_type(x509.DNSName)]


def _matches(host: str, pattern: str) -> bool:
    host, pattern = host.lower().rstrip("."), pattern.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:]
    return host == pattern
