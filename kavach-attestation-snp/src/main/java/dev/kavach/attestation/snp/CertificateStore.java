package dev.kavach.attestation.snp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Finds the certificates for a report: explicit files or the report's certificate table first, then the
 * cache directory, then (unless offline) AMD's KDS, whose answers are written to the cache directory.
 * Layout of the cache directory (what {@code kavach sev fetch-certs} fills):
 * <pre>
 *   {Milan|Genoa|Turin}/cert_chain.pem            ASK then ARK, as /vcek/v1/{gen}/cert_chain serves it
 *   {Milan|Genoa|Turin}/vlek_cert_chain.pem       ASVK then ARK (/vlek/v1/{gen}/cert_chain)
 *   {Milan|Genoa|Turin}/vcek/{hwid}/{tcb hex}.der VCEKs by chip and REPORTED_TCB
 *   {Milan|Genoa|Turin}/crl.der, vlek_crl.der     AMD's revocation lists (/vcek|vlek/v1/{gen}/crl)
 * </pre>
 * Nothing here is trusted: {@link ReportVerifier} pins the ARK and checks every signature, and
 * {@link Revocation} checks a CRL's signature with the ARK.
 */
public final class CertificateStore {
    private final Path dir;
    private final KdsClient kds;

    /**
     * @param dir the cache directory; may not exist yet
     * @param kds fetches what the directory lacks; {@code null} for offline mode
     */
    public CertificateStore(Path dir, KdsClient kds) {
        this.dir = requireNonNull(dir, "dir is null");
        this.kds = kds;
    }

    public Path dir() {
        return dir;
    }

    /** True when nothing is fetched: the cache directory and explicit files are all there is. */
    public boolean offline() {
        return kds == null;
    }

    /**
     * The chain for a report whose certificates came in its certificate table (extended report, or
     * configfs-tsm {@code auxblob}): the table's VEK (VLEK or VCEK), ASK/ASVK and ARK where present, the
     * cache directory and KDS for what it lacks. A VLEK chain verifies from the table alone, without KDS.
     */
    public VekChain chainFor(AttestationReport report, CertificateTable table) {
        requireNonNull(table, "table is null");
        Optional<X509Certificate> vek = table.vek(report.signingKey());
        List<X509Certificate> chain = new ArrayList<>();
        table.certificate(CertificateTable.ASK).ifPresent(chain::add);
        table.certificate(CertificateTable.ARK).ifPresent(chain::add);
        return chainFor(report, vek, chain);
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
        throw new CertificateUnavailableException((kds == null ? "offline (attestation.offline = true): " : "")
                + "no certificates for this report: " + (tried.isEmpty() ? "none found" : String.join("; ", tried)),
                kds == null ? offlineFix(report) : "pass --vcek and --chain explicitly");
    }

    /** What to run, and where the files go, when offline mode lacks a certificate. */
    private String offlineFix(AttestationReport report) {
        String generation = report.generationFromCpuid().map(g -> g.kdsName().toLowerCase(java.util.Locale.ROOT)).orElse("milan|genoa|turin");
        return "on a machine that can reach AMD KDS run 'kavach sev fetch-certs --report REPORT.bin --cert-dir DIR' (or '--generation "
                + generation + " --chip-id HEX --tcb HEX'), then copy DIR to " + dir + " (attestation.cert-dir) here; or pass --vcek and"
                + " --chain; or set attestation.offline = false to fetch from KDS";
    }

    private static List<SevGeneration> candidates(AttestationReport report, Optional<X509Certificate> vek) {
        Optional<SevGeneration> known = vek.flatMap(v -> new VekCertificate(v).productName()).flatMap(SevGeneration::byProductName)
                .or(report::generationFromCpuid);
        return known.map(List::of).orElse(List.of(SevGeneration.values()));
    }

    /** Where the VCEK for a chip at a TCB is cached. */
    public Path vcekPath(SevGeneration generation, byte[] chipId, TcbVersion tcb) {
        return dir.resolve(generation.kdsName()).resolve("vcek").resolve(KdsClient.hwid(generation, chipId))
                .resolve(String.format("%016x.der", tcb.raw()));
    }

    /** Where the ASK+ARK (or ASVK+ARK) chain of a generation is cached. */
    public Path chainPath(SevGeneration generation, SigningKey kind) {
        return dir.resolve(generation.kdsName()).resolve(kind == SigningKey.VLEK ? "vlek_cert_chain.pem" : "cert_chain.pem");
    }

    /** Where the CRL of a generation is cached. */
    public Path crlPath(SevGeneration generation, SigningKey kind) {
        return dir.resolve(generation.kdsName()).resolve(kind == SigningKey.VLEK ? "vlek_crl.der" : "crl.der");
    }

    private X509Certificate findVek(AttestationReport report, SevGeneration generation, List<String> tried) {
        if (report.signingKey() == SigningKey.VLEK) {
            throw new CertificateUnavailableException("the report is signed by a VLEK, which AMD issues to the cloud provider, not by chip,"
                    + " and KDS does not serve", "pass the certificate table the guest received with the report (configfs-tsm auxblob, or"
                    + " the extended report's certificates) with --cert-table, or the VLEK certificate with --vcek");
        }
        TcbVersion tcb = report.reportedTcb(generation);
        Path file = vcekPath(generation, report.chipId(), tcb);
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
        Path file = chainPath(generation, kind);
        if (Files.isRegularFile(file)) {
            return CertificateFiles.read(file);
        }
        if (kds == null) {
            tried.add("no cached " + generation.kdsName() + (kind == SigningKey.VLEK ? " ASVK+ARK" : " ASK+ARK") + " chain at " + file);
            return null;
        }
        byte[] pem = kds.fetchChain(generation, kind);
        List<X509Certificate> certs = CertificateFiles.parse(pem, "KDS cert_chain response");
        write(file, pem);
        return certs;
    }

    /** A cache entry and whether this call fetched it. */
    public record Cached(Path file, boolean fetched) {
    }

    /** Makes sure the VCEK for a chip at a TCB is cached, fetching it when missing (never offline). */
    public Cached cacheVcek(SevGeneration generation, byte[] chipId, TcbVersion tcb) {
        Path file = vcekPath(generation, chipId, tcb);
        if (Files.isRegularFile(file)) {
            return new Cached(file, false);
        }
        byte[] der = requireOnline("the VCEK", file).fetchVcek(generation, chipId, tcb);
        CertificateFiles.parse(der, "KDS VCEK response");
        write(file, der);
        return new Cached(file, true);
    }

    /** Makes sure a generation's chain is cached. */
    public Cached cacheChain(SevGeneration generation, SigningKey kind) {
        Path file = chainPath(generation, kind);
        if (Files.isRegularFile(file)) {
            return new Cached(file, false);
        }
        byte[] pem = requireOnline("the certificate chain", file).fetchChain(generation, kind);
        CertificateFiles.parse(pem, "KDS cert_chain response");
        write(file, pem);
        return new Cached(file, true);
    }

    /** Makes sure a generation's CRL is cached; {@code refresh} replaces a cached one (CRLs expire). */
    public Cached cacheCrl(SevGeneration generation, SigningKey kind, boolean refresh) {
        Path file = crlPath(generation, kind);
        if (Files.isRegularFile(file) && !refresh) {
            return new Cached(file, false);
        }
        byte[] der = requireOnline("the CRL", file).fetchCrl(generation, kind);
        parseCrl(der, "KDS CRL response");
        write(file, der);
        return new Cached(file, true);
    }

    /** The CRL for a generation: from the cache, else (online) fetched from KDS and cached. */
    public X509CRL crlFor(SevGeneration generation, SigningKey kind) {
        Path file = crlPath(generation, kind);
        if (!Files.isRegularFile(file) && kds == null) {
            throw new CertificateUnavailableException("offline (attestation.offline = true) and no cached " + generation.kdsName() + " CRL at " + file,
                    "run 'kavach sev fetch-certs --generation " + generation.kdsName().toLowerCase(java.util.Locale.ROOT) + " --crl' on a machine"
                            + " that reaches AMD KDS and copy its cert dir to " + dir + ", or turn revocation checking off"
                            + " (attestation.check-revocation = false)");
        }
        Path cached = cacheCrl(generation, kind, false).file();
        try {
            return parseCrl(Files.readAllBytes(cached), cached.toString());
        } catch (IOException e) {
            throw new CertificateUnavailableException("cannot read CRL " + cached + ": " + e, "check the file and its permissions");
        }
    }

    /** Parses a DER (or PEM) CRL. */
    public static X509CRL parseCrl(byte[] bytes, String source) {
        try {
            return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new java.io.ByteArrayInputStream(bytes));
        } catch (CRLException | CertificateException | RuntimeException e) {
            throw new CertificateUnavailableException(source + " is not an X.509 CRL: " + e.getMessage(),
                    "fetch AMD's CRL again (kavach sev fetch-certs --crl)");
        }
    }

    private KdsClient requireOnline(String what, Path file) {
        if (kds == null) {
            throw new CertificateUnavailableException("offline (attestation.offline = true): " + what + " is not cached at " + file,
                    "run this on a machine that reaches AMD KDS, or set attestation.offline = false");
        }
        return kds;
    }

    /** Writes atomically, so a concurrent reader never sees half a certificate. */
    private static void write(Path file, byte[] bytes) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), ".kds", ".tmp");
            Files.write(tmp, bytes);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new CertificateUnavailableException("cannot cache " + file.getFileName() + " at " + file + ": " + e,
                    "make attestation.cert-dir writable or point it elsewhere", e);
        }
    }
}
