package dev.kavach.backend.sev.attestation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Finds the certificates for a report: explicit files first, then the cache directory, then (when a
 * {@link KdsClient} is given) AMD's KDS, whose answers are written to the cache directory. Layout of the
 * cache directory:
 * <pre>
 *   {Milan|Genoa|Turin}/cert_chain.pem            ASK then ARK, as /vcek/v1/{gen}/cert_chain serves it
 *   {Milan|Genoa|Turin}/vlek_cert_chain.pem       ASVK then ARK
 *   {Milan|Genoa|Turin}/vcek/{hwid}/{tcb hex}.der VCEKs by chip and REPORTED_TCB
 * </pre>
 * Nothing here is trusted: {@link ReportVerifier} pins the ARK and checks every signature.
 */
public final class CertificateStore {
    private final Path dir;
    private final KdsClient kds;

    /**
     * @param dir the cache directory; may not exist yet
     * @param kds fetches what the directory lacks; {@code null} to stay offline
     */
    public CertificateStore(Path dir, KdsClient kds) {
        this.dir = requireNonNull(dir, "dir is null");
        this.kds = kds;
    }

    public Path dir() {
        return dir;
    }

    /**
     * The chain for a report.
     *
     * @param vek   the VCEK/VLEK given by the user, if any
     * @param chain ASK/ASVK and ARK given by the user (any order), if any
     */
    public VekChain chainFor(AttestationReport report, Optional<X509Certificate> vek, List<X509Certificate> chain) {
        requireNonNull(report, "report is null");
        SigningKey kind = report.signingKey();
        if (kind == SigningKey.NONE && vek.isEmpty()) {
            throw new CertificateUnavailableException("the report is unsigned (KEY_INFO signing key 7): there is no VEK to look up",
                    "request a signed report from the guest");
        }
        List<SevGeneration> candidates = candidates(report, vek);
        List<String> tried = new ArrayList<>();
        for (SevGeneration generation : candidates) {
            try {
                X509Certificate vekCert = vek.orElseGet(() -> findVek(report, generation, tried));
                if (vekCert == null) {
                    continue;
                }
                X509Certificate ask = CertificateFiles.intermediate(chain);
                X509Certificate ark = CertificateFiles.selfSigned(chain);
                if (ask == null || ark == null) {
                    List<X509Certificate> fetched = findChain(generation, kind == SigningKey.VLEK || new VekCertificate(vekCert).kind() == SigningKey.VLEK
                            ? SigningKey.VLEK : SigningKey.VCEK, tried);
                    if (fetched == null) {
                        continue;
                    }
                    ask = ask != null ? ask : CertificateFiles.intermediate(fetched);
                    ark = ark != null ? ark : CertificateFiles.selfSigned(fetched);
                }
                if (ask == null || ark == null) {
                    throw new CertificateUnavailableException("the certificate chain has no " + (ask == null ? "ASK/ASVK" : "self-signed ARK"),
                            "pass AMD's cert_chain (ASK or ASVK, then ARK) with --chain");
                }
                return new VekChain(vekCert, ask, ark);
            } catch (CertificateUnavailableException e) {
                if (!e.notFound() || candidates.size() == 1) {
                    throw e; // unreachable, rate-limited, unreadable: asking for another generation will not help
                }
                tried.add(e.getMessage());
            }
        }
        throw new CertificateUnavailableException("no certificates for this report: " + (tried.isEmpty() ? "none found" : String.join("; ", tried)),
                kds == null ? "pass --vcek and --chain, put them in " + dir + ", or enable KDS (attestation.kds.enabled=true)"
                        : "pass --vcek and --chain explicitly");
    }

    private static List<SevGeneration> candidates(AttestationReport report, Optional<X509Certificate> vek) {
        Optional<SevGeneration> known = vek.flatMap(v -> new VekCertificate(v).productName()).flatMap(SevGeneration::byProductName)
                .or(report::generationFromCpuid);
        return known.map(List::of).orElse(List.of(SevGeneration.values()));
    }

    private X509Certificate findVek(AttestationReport report, SevGeneration generation, List<String> tried) {
        if (report.signingKey() == SigningKey.VLEK) {
            throw new CertificateUnavailableException("the report is signed by a VLEK, which AMD issues to the cloud provider, not by chip",
                    "get the VLEK certificate from the host or provider (extended report or its API) and pass it with --vcek");
        }
        TcbVersion tcb = report.reportedTcb(generation);
        Path file = dir.resolve(generation.kdsName()).resolve("vcek").resolve(KdsClient.hwid(generation, report.chipId()))
                .resolve(String.format("%016x.der", tcb.raw()));
        if (Files.isRegularFile(file)) {
            return CertificateFiles.readOne(file);
        }
        if (kds == null) {
            tried.add("no cached " + generation.kdsName() + " VCEK at " + file);
            return null;
        }
        byte[] der = kds.fetchVcek(generation, report.chipId(), tcb);
        X509Certificate cert = CertificateFiles.parse(der, "KDS VCEK response").get(0);
        write(file, der);
        return cert;
    }

    private List<X509Certificate> findChain(SevGeneration generation, SigningKey kind, List<String> tried) {
        Path file = dir.resolve(generation.kdsName()).resolve(kind == SigningKey.VLEK ? "vlek_cert_chain.pem" : "cert_chain.pem");
        if (Files.isRegularFile(file)) {
            return CertificateFiles.read(file);
        }
        if (kds == null) {
            tried.add("no cached " + generation.kdsName() + " chain at " + file);
            return null;
        }
        byte[] pem = kds.fetchChain(generation, kind);
        List<X509Certificate> certs = CertificateFiles.parse(pem, "KDS cert_chain response");
        write(file, pem);
        return certs;
    }

    /** Writes atomically, so a concurrent reader never sees half a certificate. */
    private static void write(Path file, byte[] bytes) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), ".kds", ".tmp");
            Files.write(tmp, bytes);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new CertificateUnavailableException("cannot cache certificate at " + file + ": " + e,
                    "make attestation.cert-dir writable or point it elsewhere", e);
        }
    }
}
