package dev.kavach.attestation.snp;

import dev.kavach.api.Attestation.Check;

import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static java.util.Objects.requireNonNull;

/**
 * Checks that a report was signed by genuine AMD hardware: the ECDSA P-384/SHA-384 signature over bytes
 * {@code 0x000..0x29F} with the VEK; the chain VEK &lt;- ASK/ASVK &lt;- ARK with RSASSA-PSS (SHA-384,
 * MGF1-SHA-384, salt 48); the ARK pinned by SHA-256 fingerprint ({@link SevGeneration#arkSha256()});
 * every certificate valid at the injected clock's instant; the VEK's TCB extensions equal REPORTED_TCB
 * and its hwID equal CHIP_ID. Every check is returned, passed or failed, with why.
 *
 * <p>Thread-safe.
 */
public final class ReportVerifier {
    private static final HexFormat HEX = HexFormat.of();
    private final Clock clock;
    private final ChainCache cache;
    private final TrustAnchors anchors;

    /**
     * @param clock   the time certificate validity is judged at
     * @param cache   remembers time-independent chain results; {@code null} for none
     * @param anchors the trusted ARKs; {@link TrustAnchors#amd()} outside tests
     */
    public ReportVerifier(Clock clock, ChainCache cache, TrustAnchors anchors) {
        this.clock = requireNonNull(clock, "clock is null");
        this.cache = cache;
        this.anchors = requireNonNull(anchors, "anchors is null");
    }

    /** The instant certificate (and CRL) validity is judged at. */
    public Instant now() {
        return clock.instant();
    }

    /** Trusts AMD's roots. */
    public ReportVerifier(Clock clock, ChainCache cache) {
        this(clock, cache, TrustAnchors.amd());
    }

    /** Trusts AMD's roots, no cache. */
    public ReportVerifier(Clock clock) {
        this(clock, null);
    }

    /**
     * Checks a certificate chain alone (no report): ARK pin, the three signatures, validity, and that the
     * VEK's product name fits the pinned generation. The generation's TCB layout decodes the VEK's
     * extensions ({@link VekCertificate#tcb(SevGeneration)}).
     */
    public ChainVerification verifyChain(VekChain chain) {
        requireNonNull(chain, "chain is null");
        Optional<SevGeneration> pinned = anchors.generationOf(sha256(chain.ark()));
        List<Check> checks = new ArrayList<>(cachedChainChecks(chain, pinned));
        Instant now = clock.instant();
        checks.add(validity("ark.validity", "ARK", chain.ark(), now));
        checks.add(validity("ask.validity", askName(chain), chain.ask(), now));
        checks.add(validity("vek.validity", "VEK", chain.vek(), now));
        VekCertificate vek = new VekCertificate(chain.vek());
        Optional<String> product = vek.productName();
        SevGeneration layout = pinned.or(() -> product.flatMap(SevGeneration::byProductName)).orElse(SevGeneration.MILAN);
        boolean fits = product.flatMap(SevGeneration::byProductName).map(g -> g == layout).orElse(true);
        checks.add(new Check("generation", fits, fits ? layout.kdsName() + " (VEK product " + product.orElse("unnamed") + ")"
                : "VEK product '" + product.orElse("") + "' is not the " + layout.kdsName() + " of the pinned ARK"));
        return new ChainVerification(pinned, layout, checks);
    }

    private List<Check> cachedChainChecks(VekChain chain, Optional<SevGeneration> pinned) {
        List<Check> chainChecks = cache == null ? null : cache.get(chain);
        if (chainChecks == null) {
            chainChecks = chainChecks(chain, pinned);
            if (cache != null) {
                cache.put(chain, chainChecks);
            }
        }
        return chainChecks;
    }

    public ChainVerification verify(AttestationReport report, VekChain chain) {
        requireNonNull(report, "report is null");
        requireNonNull(chain, "chain is null");
        List<Check> checks = new ArrayList<>();
        Optional<SevGeneration> pinned = anchors.generationOf(sha256(chain.ark()));
        checks.addAll(cachedChainChecks(chain, pinned));

        Instant now = clock.instant();
        checks.add(validity("ark.validity", "ARK", chain.ark(), now));
        checks.add(validity("ask.validity", askName(chain), chain.ask(), now));
        checks.add(validity("vek.validity", "VEK", chain.vek(), now));

        VekCertificate vek = new VekCertificate(chain.vek());
        SevGeneration layout = generation(report, vek, pinned, checks);
        checks.add(signingKey(report, vek, chain));
        checks.add(reportSignature(report, chain.vek()));
        checks.add(tcb(report, vek, layout));
        checks.add(hwid(report, vek, layout));
        return new ChainVerification(pinned, layout, checks);
    }

    private static String askName(VekChain chain) {
        return new VekCertificate(chain.vek()).kind() == SigningKey.VLEK ? "ASVK" : "ASK";
    }

    private List<Check> chainChecks(VekChain chain, Optional<SevGeneration> pinned) {
        List<Check> checks = new ArrayList<>();
        String fingerprint = HEX.formatHex(sha256(chain.ark()));
        checks.add(pinned.map(g -> new Check("ark.pinned", true, "ARK is AMD's " + g.kdsName() + " root (SHA-256 " + fingerprint + ")"))
                .orElseGet(() -> new Check("ark.pinned", false, "ARK SHA-256 " + fingerprint + " is none of the pinned roots "
                        + (anchors.isAmd() ? "(AMD's Milan, Genoa and Turin ARKs)" : anchors.toString())
                        + ": use the ARK from AMD's key distribution service, not a self-made one")));
        checks.add(pssSigned("ark.self-signed", "ARK", chain.ark(), "ARK", chain.ark()));
        String ask = askName(chain);
        checks.add(pssSigned("ask.signed-by-ark", ask, chain.ask(), "ARK", chain.ark()));
        checks.add(pssSigned("vek.signed-by-ask", "VEK", chain.vek(), ask, chain.ask()));
        return checks;
    }

    /** RSASSA-PSS with SHA-384, MGF1-SHA-384 and a 48-byte salt, as AMD signs, and nothing weaker. */
    private static Check pssSigned(String name, String subjectName, X509Certificate subject, String issuerName, X509Certificate issuer) {
        if (!subject.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
            return new Check(name, false, subjectName + " was issued by '" + subject.getIssuerX500Principal().getName()
                    + "', not by the " + issuerName + " given ('" + issuer.getSubjectX500Principal().getName()
                    + "'): the certificates are from different chains or generations");
        }
        String params = pssParameters(subject);
        if (params != null) {
            return new Check(name, false, subjectName + " signature algorithm is not RSASSA-PSS/SHA-384/MGF1-SHA-384/salt 48: " + params);
        }
        try {
            subject.verify(issuer.getPublicKey());
            return new Check(name, true, subjectName + " signature verifies with the " + issuerName + " key (RSASSA-PSS SHA-384)");
        } catch (GeneralSecurityException | RuntimeException e) {
            return new Check(name, false, subjectName + " signature does not verify with the " + issuerName + " key: "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        }
    }

    /** Null when the certificate uses AMD's PSS parameters, else what it uses. */
    private static String pssParameters(X509Certificate cert) {
        if (!"RSASSA-PSS".equalsIgnoreCase(cert.getSigAlgName()) && !"1.2.840.113549.1.1.10".equals(cert.getSigAlgOID())) {
            return cert.getSigAlgName();
        }
        try {
            AlgorithmParameters ap = AlgorithmParameters.getInstance("RSASSA-PSS");
            ap.init(cert.getSigAlgParams());
            PSSParameterSpec spec = ap.getParameterSpec(PSSParameterSpec.class);
            boolean ok = normalise(spec.getDigestAlgorithm()).equals("SHA384")
                    && "MGF1".equalsIgnoreCase(spec.getMGFAlgorithm())
                    && spec.getMGFParameters() instanceof MGF1ParameterSpec mgf && normalise(mgf.getDigestAlgorithm()).equals("SHA384")
                    && spec.getSaltLength() == 48;
            return ok ? null : "digest " + spec.getDigestAlgorithm() + ", " + spec.getMGFAlgorithm() + " " + spec.getMGFParameters()
                    + ", salt " + spec.getSaltLength();
        } catch (GeneralSecurityException | java.io.IOException | RuntimeException e) {
            return "unreadable PSS parameters (" + e.getMessage() + ")";
        }
    }

    private static String normalise(String digest) {
        return digest.replace("-", "").toUpperCase(java.util.Locale.ROOT);
    }

    private static Check validity(String name, String what, X509Certificate cert, Instant now) {
        String period = cert.getNotBefore().toInstant() + " .. " + cert.getNotAfter().toInstant();
        try {
            cert.checkValidity(Date.from(now));
            return new Check(name, true, what + " is valid at " + now + " (" + period + ")");
        } catch (CertificateExpiredException e) {
            return new Check(name, false, what + " expired at " + cert.getNotAfter().toInstant() + ", before " + now
                    + ": fetch a current certificate, or verify at a time inside " + period + " (--at)");
        } catch (CertificateNotYetValidException e) {
            return new Check(name, false, what + " is not valid before " + cert.getNotBefore().toInstant() + " (now " + now + ")");
        }
    }

    private static SevGeneration generation(AttestationReport report, VekCertificate vek, Optional<SevGeneration> pinned, List<Check> checks) {
        Optional<String> product = vek.productName();
        Optional<SevGeneration> fromProduct = product.flatMap(SevGeneration::byProductName);
        Optional<SevGeneration> fromCpuid = report.generationFromCpuid();
        List<String> disagreements = new ArrayList<>();
        SevGeneration chosen = pinned.or(() -> fromProduct).or(() -> fromCpuid).orElse(SevGeneration.MILAN);
        if (fromProduct.isPresent() && fromProduct.get() != chosen) {
            disagreements.add("VEK product name '" + product.get() + "'");
        }
        if (fromCpuid.isPresent() && fromCpuid.get() != chosen) {
            disagreements.add("report CPUID (family " + report.cpuidFamily().orElse(0) + ", model " + report.cpuidModel().orElse(0) + ")");
        }
        String basis = pinned.isPresent() ? "pinned ARK" : fromProduct.isPresent() ? "VEK product name" : fromCpuid.isPresent() ? "report CPUID" : "default";
        if (disagreements.isEmpty()) {
            checks.add(new Check("generation", true, chosen.kdsName() + " (from " + basis
                    + (product.isPresent() ? "; VEK product " + product.get() : "") + ")"));
        } else {
            checks.add(new Check("generation", false, "the " + basis + " says " + chosen.kdsName() + " but "
                    + String.join(" and ", disagreements) + " disagree: use the ARK and ASK of the VEK's generation"));
        }
        return chosen;
    }

    private static Check signingKey(AttestationReport report, VekCertificate vek, VekChain chain) {
        SigningKey reportKey = report.signingKey();
        if (reportKey == SigningKey.NONE) {
            return new Check("report.signing-key", false, "KEY_INFO says the report is unsigned (signing key 7): nothing vouches for it");
        }
        SigningKey certKind = vek.kind();
        String issuerCn = VekCertificate.commonName(chain.ask().getSubjectX500Principal().getName());
        if (reportKey != certKind) {
            return new Check("report.signing-key", false, "KEY_INFO says the report is signed by a " + reportKey
                    + " but the certificate given is a " + certKind + ": pass the " + reportKey + " certificate");
        }
        boolean issuerFits = reportKey == SigningKey.VLEK ? issuerCn.startsWith("SEV-VLEK") : !issuerCn.startsWith("SEV-VLEK");
        if (!issuerFits) {
            return new Check("report.signing-key", false, reportKey + " must be issued by " + (reportKey == SigningKey.VLEK ? "an ASVK" : "an ASK")
                    + ", but the intermediate given is '" + issuerCn + "'");
        }
        return new Check("report.signing-key", true, "signed by a " + reportKey + " issued by " + issuerCn);
    }

    private static Check reportSignature(AttestationReport report, X509Certificate vekCert) {
        PublicKey key = vekCert.getPublicKey();
        if (!(key instanceof ECPublicKey ec) || ec.getParams().getCurve().getField().getFieldSize() != 384) {
            return new Check("report.signature", false, "the VEK's key is not an EC P-384 key (" + key.getAlgorithm() + ")");
        }
        try {
            Signature ecdsa = Signature.getInstance("SHA384withECDSA");
            ecdsa.initVerify(key);
            ecdsa.update(report.signedBytes());
            byte[] der = Der.ecdsaSignature(Der.unsignedLittleEndian(report.signatureR()), Der.unsignedLittleEndian(report.signatureS()));
            if (ecdsa.verify(der)) {
                return new Check("report.signature", true, "ECDSA P-384/SHA-384 signature over bytes 0x000..0x29F verifies with the VEK");
            }
            return new Check("report.signature", false, "ECDSA P-384/SHA-384 signature over bytes 0x000..0x29F does not verify with the VEK:"
                    + " the report was altered, or the VEK belongs to another chip or TCB");
        } catch (GeneralSecurityException e) {
            return new Check("report.signature", false, "ECDSA signature is malformed: " + e.getMessage());
        }
    }

    private static Check tcb(AttestationReport report, VekCertificate vek, SevGeneration layout) {
        TcbVersion reported = report.reportedTcb(layout);
        List<String> mismatches = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        try {
            if (layout.turinLayout()) {
                compare("fmc", reported.fmc(), vek.spl(VekCertificate.OID_FMC), mismatches, seen);
            }
            compare("boot_loader", reported.bootLoader(), vek.spl(VekCertificate.OID_BOOT_LOADER), mismatches, seen);
            compare("tee", reported.tee(), vek.spl(VekCertificate.OID_TEE), mismatches, seen);
            compare("snp", reported.snp(), vek.spl(VekCertificate.OID_SNP), mismatches, seen);
            compare("microcode", reported.microcode(), vek.spl(VekCertificate.OID_MICROCODE), mismatches, seen);
        } catch (IllegalArgumentException | ArithmeticException e) {
            return new Check("vek.tcb", false, "a TCB extension of the VEK is malformed: " + e.getMessage());
        }
        if (mismatches.isEmpty()) {
            return new Check("vek.tcb", true, "VEK TCB equals REPORTED_TCB (" + layout.kdsName() + " layout): " + String.join(", ", seen));
        }
        return new Check("vek.tcb", false, "VEK was issued for another TCB than REPORTED_TCB (" + layout.kdsName() + " layout): "
                + String.join(", ", mismatches) + ": fetch the VEK for this report's REPORTED_TCB");
    }

    private static void compare(String name, int reported, OptionalInt certified, List<String> mismatches, List<String> seen) {
        if (certified.isEmpty()) {
            mismatches.add(name + " missing from the certificate (report " + reported + ")");
        } else if (certified.getAsInt() != reported) {
            mismatches.add(name + " report " + reported + " != certificate " + certified.getAsInt());
        } else {
            seen.add(name + "=" + reported);
        }
    }

    private static Check hwid(AttestationReport report, VekCertificate vek, SevGeneration layout) {
        if (report.signingKey() == SigningKey.VLEK || vek.kind() == SigningKey.VLEK) {
            return new Check("vek.hwid", true, "skipped: a VLEK is not bound to one chip, so there is no hwID to compare with CHIP_ID");
        }
        if (report.maskChipKey() || report.chipIdMasked()) {
            return new Check("vek.hwid", true, "skipped: CHIP_ID is masked (zero) in this report, so the VCEK's hwID cannot be compared");
        }
        Optional<byte[]> hwid;
        try {
            hwid = vek.hwid();
        } catch (IllegalArgumentException e) {
            return new Check("vek.hwid", false, "the VCEK's hwID extension is malformed: " + e.getMessage());
        }
        if (hwid.isEmpty()) {
            return new Check("vek.hwid", false, "the VCEK has no hwID extension (1.3.6.1.4.1.3704.1.4) to compare with CHIP_ID");
        }
        byte[] id = hwid.get();
        byte[] chip = report.chipId();
        boolean equal = id.length <= chip.length && MessageDigest.isEqual(id, java.util.Arrays.copyOf(chip, id.length));
        for (int i = id.length; equal && i < chip.length; i++) {
            equal = chip[i] == 0;
        }
        if (equal) {
            return new Check("vek.hwid", true, "VCEK hwID equals CHIP_ID (" + id.length + " bytes"
                    + (layout.turinLayout() ? ", Turin's short hwID" : "") + ")");
        }
        return new Check("vek.hwid", false, "VCEK hwID " + HEX.formatHex(id) + " differs from CHIP_ID " + HEX.formatHex(chip)
                + ": this VCEK belongs to another chip; fetch the VCEK for this CHIP_ID");
    }

    static byte[] sha256(X509Certificate cert) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot fingerprint certificate", e);
        }
    }
}
