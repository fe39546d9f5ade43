package dev.kavach.backend.sev.cli;

import dev.kavach.api.BackendContext;
import dev.kavach.api.KavachException;
import dev.kavach.attestation.snp.AttestationReport;
import dev.kavach.attestation.snp.AttestationSettings;
import dev.kavach.attestation.snp.CertificateFiles;
import dev.kavach.attestation.snp.CertificateStore;
import dev.kavach.attestation.snp.KdsClient;
import dev.kavach.attestation.snp.SevGeneration;
import dev.kavach.attestation.snp.SigningKey;
import dev.kavach.attestation.snp.TcbVersion;
import dev.kavach.attestation.snp.TrustAnchors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * {@code kavach sev fetch-certs}: fills the certificate cache ahead of time, so that a host without
 * network access (attestation.offline = true) verifies reports from the cache alone. Fetches, from AMD's
 * KDS, the ASK+ARK chain (and with {@code --vlek} the ASVK+ARK chain) of a generation, the VCEK of a chip
 * at a TCB (given directly or read from a report), and with {@code --crl} the CRLs. Prints each cached
 * file on stdout; progress goes to stderr only when it is a terminal.
 */
@Command(name = "fetch-certs", sortOptions = false,
        description = {"Fills the certificate cache (attestation.cert-dir) from AMD's key distribution service, for hosts that"
                + " verify offline (attestation.offline = true): copy the directory there afterwards.",
                "Without --chip-id or a VCEK report only the chains (and CRLs) are fetched."},
        footer = "Exit: 0 done, 1 a fetch failed, 2 unusable input.")
final class FetchCertsCommand extends PluginCommandLine.Subcommand {
    @Option(names = "--report", paramLabel = "FILE", description = "take generation (version 3+ reports), CHIP_ID and REPORTED_TCB from this report")
    Path report;
    @Option(names = "--generation", paramLabel = "G", description = "milan, genoa or turin (needed for version 2 reports)")
    String generationName;
    @Option(names = "--chip-id", paramLabel = "HEX", description = "the chip's CHIP_ID (128 hex digits; Turin uses the first 16)")
    String chipIdHex;
    @Option(names = "--tcb", paramLabel = "TCB", description = "REPORTED_TCB as 16 hex digits (as 'kavach attest show' prints it)"
            + " or NAME=SPL,... with boot_loader, tee, snp, microcode (and fmc on Turin)")
    String tcbText;
    @Option(names = "--vlek", description = "also the ASVK+ARK chain for VLEK-signed reports (the VLEK itself comes from the host)")
    boolean vlek;
    @Option(names = "--crl", description = "also AMD's CRLs (replacing cached ones: CRLs expire), for attestation.check-revocation")
    boolean crl;
    @Option(names = "--cert-dir", paramLabel = "DIR", description = "the cache to fill (default: attestation.cert-dir)")
    Path certDir;



    private final Function<AttestationSettings, KdsClient> kds;
    private final TrustAnchors anchors;
    private final boolean interactive;

    /** The production command: KDS over HTTP, AMD's roots, progress when stderr is a terminal. */
    public FetchCertsCommand() {
        this(KdsClient::from, TrustAnchors.amd(), onTerminal());
    }

    /**
     * Whether Kavach runs attached to a terminal. Since JDK 22 {@code System.console()} is non-null even
     * when the streams are redirected, so ask {@code Console.isTerminal()} where it exists (JDK 22+).
     */
    static boolean onTerminal() {
        java.io.Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (NoSuchMethodException e) {
            return true; // JDK 21: a console exists only on a terminal
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    /** For tests: an injected KDS client (no network), other roots, and whether progress is shown. */
    public FetchCertsCommand(Function<AttestationSettings, KdsClient> kds, TrustAnchors anchors, boolean interactive) {
        this.kds = requireNonNull(kds, "kds is null");
        this.anchors = requireNonNull(anchors, "anchors is null");
        this.interactive = interactive;
    }

    /** Runs with the arguments after {@code fetch-certs}; exit 0 done, 1 a fetch failed, 2 unusable input. */
    int run(List<String> args, BackendContext context, PrintStream out, PrintStream err) {
        return bind(context, out, err).runAlone("kavach sev fetch-certs", args);
    }

    @Override
    public Integer call() {
        try {
            return fetch();
        } catch (KavachException e) {
            err.println("kavach sev fetch-certs: " + e.oneLine());
            return 1;
        }
    }

    private int fetch() {
        AttestationSettings settings = AttestationSettings.from(context.settings(), context.stateDir());
        Path dir = certDir != null ? certDir : settings.certDir();
        SevGeneration generation = generationName == null ? null : SevGeneration.byName(generationName)
                .orElseThrow(() -> usage("--generation '" + generationName + "': expected milan, genoa or turin"));
        byte[] chipId = null;
        TcbVersion tcb = null;
        boolean vlekReport = false;
        if (report != null) {
            if (chipIdHex != null || tcbText != null) {
                throw usage("--report gives the chip and TCB: leave out --chip-id and --tcb");
            }
            AttestationReport parsed = AttestationReport.parse(read(report));
            SevGeneration fromCpuid = parsed.generationFromCpuid().orElse(null);
            if (generation == null && fromCpuid == null) {
                throw usage("the report (version " + parsed.version() + ") names no CPU: pass --generation milan, genoa or turin");
            }
            if (generation != null && fromCpuid != null && generation != fromCpuid) {
                throw usage("--generation " + generation.kdsName() + " contradicts the report's CPUID (" + fromCpuid.kdsName() + ")");
            }
            generation = generation != null ? generation : fromCpuid;
            vlekReport = parsed.signingKey() == SigningKey.VLEK;
            if (!vlekReport && !parsed.chipIdMasked()) {
                chipId = parsed.chipId();
                tcb = parsed.reportedTcb(generation);
            } else if (!vlekReport) {
                err.println("note: the report's CHIP_ID is masked, so no VCEK can be fetched for it; fetching the chain only");
            }
        } else {
            if (generation == null) {
                throw usage("give --report FILE, or --generation milan|genoa|turin");
            }
            if ((chipIdHex != null) != (tcbText != null)) {
                throw usage("--chip-id and --tcb go together: the VCEK is per chip and TCB");
            }
            if (chipIdHex != null) {
                chipId = chipId(chipIdHex, generation);
                tcb = tcb(tcbText, generation);
            }
        }
        CertificateStore store = new CertificateStore(dir, kds.apply(settings));
        Map<String, CertificateStore.Cached> done = new LinkedHashMap<>();
        String name = generation.kdsName();
        SevGeneration g = generation;
        if (!vlekReport) {
            done.put(name + " ASK+ARK chain", step(name + " ASK+ARK chain", () -> store.cacheChain(g, SigningKey.VCEK), err));
            requirePinned(done.get(name + " ASK+ARK chain").file(), g);
        }
        if (vlekReport || vlek) {
            done.put(name + " ASVK+ARK chain", step(name + " ASVK+ARK chain", () -> store.cacheChain(g, SigningKey.VLEK), err));
            requirePinned(done.get(name + " ASVK+ARK chain").file(), g);
        }
        if (chipId != null) {
            byte[] id = chipId;
            TcbVersion t = tcb;
            done.put(name + " VCEK", step(name + " VCEK for chip " + KdsClient.hwid(g, id).substring(0, 16) + "... at TCB " + t.components(),
                    () -> store.cacheVcek(g, id, t), err));
        }
        if (crl) {
            if (!vlekReport) {
                done.put(name + " CRL", step(name + " CRL", () -> store.cacheCrl(g, SigningKey.VCEK, true), err));
            }
            if (vlekReport || vlek) {
                done.put(name + " VLEK CRL", step(name + " VLEK CRL", () -> store.cacheCrl(g, SigningKey.VLEK, true), err));
            }
        }
        for (CertificateStore.Cached c : done.values()) {
            out.println(c.file());
        }
        if (vlekReport) {
            err.println("note: the report is VLEK-signed; KDS does not serve VLEKs: verify with the certificate table the guest"
                    + " received (kavach attest verify --cert-table FILE)");
        }
        return 0;
    }

    private interface Step {
        CertificateStore.Cached run();
    }

    private CertificateStore.Cached step(String what, Step step, PrintStream err) {
        if (interactive) {
            err.print("fetching " + what + " ... ");
            err.flush();
        }
        CertificateStore.Cached cached;
        try {
            cached = step.run();
        } catch (KavachException e) {
            if (interactive) {
                err.println("failed");
            }
            throw e;
        }
        if (interactive) {
            err.println(cached.fetched() ? "done" : "already cached");
        }
        return cached;
    }

    /** A chain whose ARK is not the pinned root would fail every verification later; say so now. */
    private void requirePinned(Path chainFile, SevGeneration generation) {
        X509Certificate ark = null;
        for (X509Certificate c : CertificateFiles.read(chainFile)) {
            if (c.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
                ark = c;
            }
        }
        if (ark == null || anchors.generationOf(ark).filter(g -> g == generation).isEmpty()) {
            throw new dev.kavach.attestation.snp.CertificateUnavailableException("the chain at " + chainFile
                    + " does not end in AMD's pinned " + generation.kdsName() + " root key (ARK)",
                    "delete it and fetch again from AMD's KDS (check attestation.kds.base-url)");
        }
    }

    private byte[] chipId(String text, SevGeneration generation) {
        byte[] id;
        try {
            id = HexFormat.of().parseHex(text.trim());
        } catch (IllegalArgumentException e) {
            throw usage("--chip-id is not hex");
        }
        int expected = generation.turinLayout() ? 8 : 64;
        if (id.length != 64 && id.length != expected) {
            throw usage("--chip-id is " + id.length + " bytes; a " + generation.kdsName() + " CHIP_ID is 64 bytes"
                    + (generation.turinLayout() ? " (or its first 8)" : ""));
        }
        return java.util.Arrays.copyOf(id, 64);
    }

    private TcbVersion tcb(String text, SevGeneration generation) {
        String t = text.trim();
        if (t.matches("(0x)?[0-9a-fA-F]{16}")) {
            return new TcbVersion(Long.parseUnsignedLong(t.startsWith("0x") ? t.substring(2) : t, 16), generation);
        }
        Map<String, Integer> components = new LinkedHashMap<>();
        for (String part : t.split(",")) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw usage("--tcb '" + text + "' is neither 16 hex digits nor NAME=SPL,... (e.g. boot_loader=3,tee=0,snp=8,microcode=115)");
            }
            try {
                components.put(part.substring(0, eq).trim(), Integer.parseInt(part.substring(eq + 1).trim()));
            } catch (NumberFormatException e) {
                throw usage("--tcb '" + part + "': the SPL must be a number");
            }
        }
        try {
            return TcbVersion.of(generation, components);
        } catch (IllegalArgumentException e) {
            throw usage("--tcb: " + e.getMessage());
        }
    }

    private byte[] read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw usage("report file " + file + " does not exist or is not a file");
        }
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw usage("cannot read report file " + file + ": " + e.getMessage());
        }
    }
}
