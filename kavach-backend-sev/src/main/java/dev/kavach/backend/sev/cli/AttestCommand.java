package dev.kavach.backend.sev.cli;

import dev.kavach.api.Attestation.Check;
import dev.kavach.api.BackendContext;
import dev.kavach.api.CommandExtension;
import dev.kavach.api.KavachException;
import dev.kavach.attestation.snp.AppraisalPolicy;
import dev.kavach.attestation.snp.AttestationReport;
import dev.kavach.attestation.snp.AttestationResult;
import dev.kavach.attestation.snp.AttestationSettings;
import dev.kavach.attestation.snp.CertificateFiles;
import dev.kavach.attestation.snp.CertificateStore;
import dev.kavach.attestation.snp.CertificateTable;
import dev.kavach.attestation.snp.EvidenceVerifier;
import dev.kavach.attestation.snp.FirmwareVersion;
import dev.kavach.attestation.snp.Json;
import dev.kavach.attestation.snp.Revocation;
import dev.kavach.attestation.snp.SnpEvidence;
import dev.kavach.attestation.snp.KdsClient;
import dev.kavach.attestation.snp.ReportVerifier;
import dev.kavach.attestation.snp.SevGeneration;
import dev.kavach.attestation.snp.SnpAttestationVerifier;
import dev.kavach.attestation.snp.TrustAnchors;
import dev.kavach.attestation.snp.VekCertificate;
import dev.kavach.attestation.snp.VekChain;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code kavach attest}: verify an SEV-SNP attestation report ({@code verify}) or decode one
 * ({@code show}). Exit codes of {@code verify}: 0 every check passed, 1 a check failed (each is listed),
 * 2 unusable input (missing file, bad hex, unparseable report, certificates not found).
 */
public final class AttestCommand implements CommandExtension {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int UNUSABLE = 2;

    private static final String USAGE = """
            Usage: kavach attest verify --report FILE [options]
                   kavach attest verify --evidence FILE (--measurement HEX | --any-measurement) [--stdout FILE] [--stderr FILE] [options]
                   kavach attest show --report FILE [--generation milan|genoa|turin] [--vcek FILE] [--json]

            verify --report: checks the report's ECDSA signature, the VCEK/VLEK <- ASK/ASVK <- ARK chain (ARK pinned
            to AMD's Milan, Genoa or Turin root), the VEK's TCB and hwID against the report, and the appraisal:
              --report FILE               the 1184-byte report (binary)
              --vcek FILE                 the VCEK or VLEK (DER or PEM); else looked up in the cert dir / KDS
              --chain FILE                ASK (or ASVK) and ARK, PEM (AMD's cert_chain); else cert dir / KDS
              --cert-table FILE           the certificate table that came with the report (configfs-tsm auxblob,
                                          extended report): VLEK/VCEK, ASK/ASVK, ARK by GUID; a VLEK needs no KDS
              --cert-dir DIR              certificate cache (default: setting attestation.cert-dir)
              --offline                   never fetch from AMD KDS (default: fetch what the cache lacks, unless
                                          attestation.offline = true); --kds fetches even when the setting is offline
            verify --evidence: re-verifies a result's portable evidence (kavach run --backend sev --json, claim
            "evidence") offline: signature and chain, appraisal, REPORT_DATA = SHA-512(statement), measurement:
              --evidence FILE             the evidence JSON (format in the README)
              --measurement HEX           the launch measurement you computed with 'kavach sev measure' (96 hex digits)
              --any-measurement           accept the evidence's own measurement (proves only that some guest ran)
              --stdout FILE, --stderr FILE the outputs you received: their SHA-256 must match the statement
            appraisal (both forms; defaults from the attestation.* settings):
              --expect-measurement HEX    accepted MEASUREMENT (96 hex digits); repeatable
              --launched-policy HEX       the guest policy the VM was launched with; POLICY must equal it
              --report-data HEX           required REPORT_DATA, up to 64 bytes (zero-padded)
              --host-data HEX             required HOST_DATA, up to 32 bytes (zero-padded)
              --min-tcb NAME=SPL          minimum REPORTED_TCB component (boot_loader, tee, snp, microcode, fmc); repeatable
              --min-committed-tcb NAME=SPL, --min-launch-tcb NAME=SPL   the same for COMMITTED_TCB and LAUNCH_TCB
              --min-firmware X.Y[.B]      minimum SEV firmware version (current and committed)
              --min-guest-svn N           minimum GUEST_SVN
              --max-vmpl N                highest VMPL accepted (0..3, default 0)
              --require-platform NAME     PLATFORM_INFO bit that must be set; repeatable
              --forbid-platform NAME      PLATFORM_INFO bit that must be clear; repeatable
                                          (smt, tsme, ecc, rapl-disabled, ciphertext-hiding, alias-check-complete, tio)
              --allow-debug               accept a guest policy that allows debugging
              --allow-migration-agent     accept a guest policy that allows a migration agent
              --forbid-smt                reject a guest policy that allows SMT
              --id-key-digest HEX         accepted ID_KEY_DIGEST; repeatable
              --author-key-digest HEX     accepted AUTHOR_KEY_DIGEST; repeatable
              --check-revocation          check the ASK/ASVK against AMD's CRL (cached; fetched unless offline)
              --crl FILE                  check against this CRL file instead (DER, as KDS serves it)
              --at ISO-INSTANT            judge certificate validity at this time (e.g. 2025-06-01T00:00:00Z)
              --json                      machine-readable output
            Exit: 0 all checks passed, 1 a check failed (each is named), 2 unusable input.
            """;


    private final TrustAnchors anchors;
    private final java.util.function.Function<AttestationSettings, KdsClient> kds;

    /** The command ServiceLoader creates: trusts AMD's roots only. */
    public AttestCommand() {
        this(TrustAnchors.amd());
    }

    /** A command trusting other roots than AMD's: for tests with a self-made chain, never for production. */
    public AttestCommand(TrustAnchors anchors) {
        this(anchors, KdsClient::from);
    }

    /** For tests: other roots, and a KDS client that answers without the network. */
    public AttestCommand(TrustAnchors anchors, java.util.function.Function<AttestationSettings, KdsClient> kds) {
        this.anchors = java.util.Objects.requireNonNull(anchors, "anchors is null");
        this.kds = java.util.Objects.requireNonNull(kds, "kds is null");
    }

    @Override
    public String name() {
        return "attest";
    }

    @Override
    public String summary() {
        return "verify or decode an AMD SEV-SNP attestation report";
    }

    @Override
    public String backendId() {
        return "sev";
    }

    @Override
    public int run(List<String> args, BackendContext context, PrintStream out, PrintStream err) {
        if (args.isEmpty()) {
            err.print(USAGE);
            return UNUSABLE;
        }
        if (args.contains("--help") || args.contains("-h") || args.get(0).equals("help")) {
            out.print(USAGE);
            return OK;
        }
        boolean json = args.contains("--json");
        try {
            return switch (args.get(0)) {
                case "verify" -> verify(args.subList(1, args.size()), context, out);
                case "show" -> show(args.subList(1, args.size()), out);
                default -> throw new UsageException("unknown subcommand '" + args.get(0) + "': expected verify or show");
            };
        } catch (UsageException e) {
            return unusable(e.getMessage(), "", json, out, err);
        } catch (KavachException e) {
            return unusable(e.getMessage(), e.fix(), json, out, err);
        }
    }

    private static int unusable(String message, String fix, boolean json, PrintStream out, PrintStream err) {
        err.println("kavach attest: " + message + (fix.isEmpty() ? "" : "\n  fix: " + fix));
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("error", message);
            m.put("fix", fix);
            m.put("exit_code", UNUSABLE);
            out.print(Json.write(m));
        }
        return UNUSABLE;
    }

    private static final Set<String> POLICY_OPTIONS = Set.of("--expect-measurement", "--report-data", "--host-data", "--min-tcb",
            "--min-committed-tcb", "--min-launch-tcb", "--min-firmware", "--min-guest-svn", "--max-vmpl", "--launched-policy",
            "--require-platform", "--forbid-platform", "--id-key-digest", "--author-key-digest", "--at", "--cert-dir", "--crl");
    private static final Set<String> REPEATABLE = Set.of("--expect-measurement", "--min-tcb", "--min-committed-tcb", "--min-launch-tcb",
            "--require-platform", "--forbid-platform", "--id-key-digest", "--author-key-digest");
    private static final Set<String> FLAGS = Set.of("--allow-debug", "--allow-migration-agent", "--forbid-smt", "--kds", "--offline",
            "--check-revocation", "--any-measurement", "--json");

    private int verify(List<String> args, BackendContext context, PrintStream out) {
        Set<String> valued = new java.util.HashSet<>(POLICY_OPTIONS);
        valued.addAll(Set.of("--report", "--vcek", "--chain", "--cert-table", "--evidence", "--measurement", "--stdout", "--stderr"));
        CommandLine cl = CommandLine.parse(args, valued, REPEATABLE, FLAGS);
        if (cl.value("--evidence").isPresent()) {
            for (String option : List.of("--report", "--vcek", "--chain", "--cert-table")) {
                if (cl.value(option).isPresent()) {
                    throw new UsageException(option + " cannot be combined with --evidence: the evidence file carries the report and its certificates");
                }
            }
            return verifyEvidence(cl, context, out);
        }
        for (String option : List.of("--measurement", "--stdout", "--stderr")) {
            if (cl.value(option).isPresent()) {
                throw new UsageException(option + " belongs to --evidence verification; for a bare report use --expect-measurement");
            }
        }
        if (cl.flag("--any-measurement")) {
            throw new UsageException("--any-measurement belongs to --evidence verification");
        }
        Path reportFile = Path.of(cl.required("--report"));
        AttestationReport report = parseReport(reportFile);
        AttestationSettings settings = AttestationSettings.from(context.settings(), context.stateDir());
        AppraisalPolicy policy = policy(cl, settings);
        Clock clock = clock(cl);

        CertificateStore store = store(cl, settings);
        Optional<X509Certificate> vek = cl.value("--vcek").map(p -> CertificateFiles.readOne(existing(Path.of(p), "VCEK/VLEK")));
        List<X509Certificate> chain = cl.value("--chain").map(p -> CertificateFiles.read(existing(Path.of(p), "certificate chain"))).orElse(List.of());
        VekChain vekChain;
        if (cl.value("--cert-table").isPresent()) {
            if (vek.isPresent() || !chain.isEmpty()) {
                throw new UsageException("--cert-table carries the VEK and chain: leave out --vcek and --chain");
            }
            vekChain = store.chainFor(report, CertificateTable.parse(readFile(Path.of(cl.value("--cert-table").get()), "certificate table")));
        } else {
            vekChain = store.chainFor(report, vek, chain);
        }

        AttestationResult result = new SnpAttestationVerifier(new ReportVerifier(clock, null, anchors))
                .verify(report, vekChain, policy, revocation(cl, settings, store));
        print(result, "report", reportFile.toString(), cl.flag("--json"), out);
        return result.passed() ? OK : FAILED;
    }

    private int verifyEvidence(CommandLine cl, BackendContext context, PrintStream out) {
        Path file = Path.of(cl.value("--evidence").get());
        SnpEvidence evidence;
        try {
            evidence = SnpEvidence.parse(new String(readFile(file, "evidence"), java.nio.charset.StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new UsageException("evidence file " + file + ": " + e.getMessage());
        }
        AttestationSettings settings = AttestationSettings.from(context.settings(), context.stateDir());
        Optional<String> measurement = cl.value("--measurement").map(m -> {
            try {
                return SnpEvidence.measurementHex(m.startsWith("0x") ? m.substring(2) : m, "--measurement");
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage() + " (print it with 'kavach sev measure ... --output-format hex')");
            }
        });
        if (measurement.isPresent() && cl.flag("--any-measurement")) {
            throw new UsageException("--measurement and --any-measurement exclude each other");
        }
        Optional<byte[]> stdout = cl.value("--stdout").map(p -> readFile(Path.of(p), "stdout"));
        Optional<byte[]> stderr = cl.value("--stderr").map(p -> readFile(Path.of(p), "stderr"));
        // Offline by design: the evidence carries its chain; only a revocation check may need the cache (never KDS unless --kds).
        CertificateStore store = new CertificateStore(cl.value("--cert-dir").map(Path::of).orElse(settings.certDir()),
                cl.flag("--kds") ? kds.apply(settings) : null);
        EvidenceVerifier.Options options = new EvidenceVerifier.Options(measurement, cl.flag("--any-measurement"), stdout, stderr,
                policy(cl, settings), revocation(cl, settings, store));
        AttestationResult result = new EvidenceVerifier(new SnpAttestationVerifier(new ReportVerifier(clock(cl), null, anchors)))
                .verify(evidence, options);
        print(result, "evidence", file.toString(), cl.flag("--json"), out);
        return result.passed() ? OK : FAILED;
    }

    private static Clock clock(CommandLine cl) {
        return cl.value("--at").map(AttestCommand::instant).map(i -> Clock.fixed(i, ZoneOffset.UTC)).orElse(Clock.systemUTC());
    }

    private CertificateStore store(CommandLine cl, AttestationSettings settings) {
        if (cl.flag("--kds") && cl.flag("--offline")) {
            throw new UsageException("--kds and --offline exclude each other");
        }
        Path certDir = cl.value("--cert-dir").map(Path::of).orElse(settings.certDir());
        boolean online = cl.flag("--kds") || settings.kdsEnabled() && !cl.flag("--offline");
        return new CertificateStore(certDir, online ? kds.apply(settings) : null);
    }

    private static Revocation.Source revocation(CommandLine cl, AttestationSettings settings, CertificateStore store) {
        if (cl.value("--crl").isPresent()) {
            X509CRL crl = CertificateStore.parseCrl(readFile(Path.of(cl.value("--crl").get()), "CRL"), cl.value("--crl").get());
            return (generation, kind) -> crl;
        }
        return cl.flag("--check-revocation") || settings.checkRevocation() ? store::crlFor : null;
    }

    private static void print(AttestationResult result, String what, String file, boolean json, PrintStream out) {
        AttestationReport report = result.report();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put(what, file);
            m.put("verified", result.passed());
            m.put("generation", result.generation().map(SevGeneration::kdsName).orElse(null));
            m.put("claims", new LinkedHashMap<>(result.claims()));
            List<Object> checks = new ArrayList<>();
            for (Check c : result.checks()) {
                Map<String, Object> cm = new LinkedHashMap<>();
                cm.put("name", c.name());
                cm.put("passed", c.passed());
                cm.put("detail", c.detail());
                checks.add(cm);
            }
            m.put("checks", checks);
            m.put("failed", result.failures().stream().map(Check::name).toList());
            out.print(Json.write(m));
            return;
        }
        out.println(what + " " + file + ": version " + report.version() + ", signed by " + report.signingKey() + ", " + result.layout().kdsName());
        for (Check c : result.checks()) {
            out.println("  " + (c.passed() ? "PASS " : "FAIL ") + c.name() + ": " + c.detail());
        }
        List<Check> failures = result.failures();
        out.println(failures.isEmpty() ? "VERIFIED: all " + result.checks().size() + " checks passed"
                : "NOT VERIFIED: " + failures.size() + " of " + result.checks().size() + " checks failed: "
                + String.join(", ", failures.stream().map(Check::name).toList()));
    }

    private static AppraisalPolicy policy(CommandLine cl, AttestationSettings settings) {
        AppraisalPolicy.Builder b = settings.appraisal().toBuilder();
        try {
            cl.all("--expect-measurement").forEach(b::expectMeasurement);
            cl.all("--id-key-digest").forEach(b::acceptIdKeyDigest);
            cl.all("--author-key-digest").forEach(b::acceptAuthorKeyDigest);
            cl.all("--require-platform").forEach(b::requirePlatformInfo);
            cl.all("--forbid-platform").forEach(b::forbidPlatformInfo);
            cl.value("--min-firmware").ifPresent(v -> b.minimumFirmware(FirmwareVersion.parse(v)));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        cl.value("--report-data").ifPresent(h -> b.reportData(padded(hex("--report-data", h), 64, "--report-data")));
        cl.value("--host-data").ifPresent(h -> b.hostData(padded(hex("--host-data", h), 32, "--host-data")));
        cl.value("--launched-policy").ifPresent(h -> {
            try {
                b.launchedPolicy(Long.decode(h.trim()));
            } catch (NumberFormatException e) {
                throw new UsageException("--launched-policy '" + h + "' is not a number such as 0x30000");
            }
        });
        tcb(cl, "--min-tcb", b::minimumTcb);
        tcb(cl, "--min-committed-tcb", b::minimumCommittedTcb);
        tcb(cl, "--min-launch-tcb", b::minimumLaunchTcb);
        cl.value("--min-guest-svn").ifPresent(v -> b.minimumGuestSvn(number("--min-guest-svn", v, 0, 0xFFFF_FFFFL)));
        cl.value("--max-vmpl").ifPresent(v -> b.maxVmpl((int) number("--max-vmpl", v, 0, 3)));
        if (cl.flag("--allow-debug")) {
            b.allowDebug(true);
        }
        b.allowMigrationAgent(cl.flag("--allow-migration-agent"));
        if (cl.flag("--forbid-smt")) {
            b.allowSmt(false);
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private static void tcb(CommandLine cl, String option, java.util.function.ObjIntConsumer<String> setter) {
        for (String spec : cl.all(option)) {
            int eq = spec.indexOf('=');
            if (eq <= 0) {
                throw new UsageException(option + " '" + spec + "' must be NAME=SPL, e.g. snp=8");
            }
            try {
                setter.accept(spec.substring(0, eq), Integer.parseInt(spec.substring(eq + 1)));
            } catch (IllegalArgumentException e) {
                throw new UsageException(option + " '" + spec + "': " + e.getMessage());
            }
        }
    }

    private int show(List<String> args, PrintStream out) {
        CommandLine cl = CommandLine.parse(args, Set.of("--report", "--generation", "--vcek"), Set.of(), Set.of("--json"));
        Path reportFile = Path.of(cl.required("--report"));
        AttestationReport report = parseReport(reportFile);
        SevGeneration layout;
        String basis;
        if (cl.value("--generation").isPresent()) {
            String g = cl.value("--generation").get();
            layout = SevGeneration.byName(g).orElseThrow(() -> new UsageException("--generation '" + g + "': expected milan, genoa or turin"));
            basis = "--generation";
        } else if (cl.value("--vcek").isPresent()) {
            VekCertificate vek = new VekCertificate(CertificateFiles.readOne(existing(Path.of(cl.value("--vcek").get()), "VCEK/VLEK")));
            layout = vek.productName().flatMap(SevGeneration::byProductName).orElse(SevGeneration.MILAN);
            basis = "VEK product name " + vek.productName().orElse("(none)");
        } else if (report.generationFromCpuid().isPresent()) {
            layout = report.generationFromCpuid().get();
            basis = "report CPUID";
        } else {
            layout = SevGeneration.MILAN;
            basis = "assumed: a version " + report.version() + " report names no CPU; Milan and Genoa share this layout, pass --generation turin for Turin";
        }
        Map<String, Object> fields = ReportFields.describe(report, layout, basis);
        out.print(cl.flag("--json") ? Json.write(fields) : ReportFields.text(fields));
        return OK;
    }

    private static AttestationReport parseReport(Path file) {
        byte[] bytes = readFile(file, "report");
        try {
            return AttestationReport.parse(bytes);
        } catch (dev.kavach.attestation.snp.ReportParseException e) {
            if (bytes.length > 0 && new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1).matches("(?s)[0-9a-fA-F\\s]+")) {
                throw new UsageException("report file " + file + " is hex text, not the binary report: convert it with"
                        + " 'xxd -r -p " + file + " > report.bin'");
            }
            throw e;
        }
    }

    private static Path existing(Path file, String what) {
        if (!Files.isRegularFile(file)) {
            throw new UsageException(what + " file " + file + " does not exist or is not a file");
        }
        return file;
    }

    private static byte[] readFile(Path file, String what) {
        try {
            return Files.readAllBytes(existing(file, what));
        } catch (IOException e) {
            throw new UsageException("cannot read " + what + " file " + file + ": " + e.getMessage());
        }
    }

    private static Instant instant(String text) {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new UsageException("--at '" + text + "' is not an ISO-8601 instant such as 2025-06-01T00:00:00Z");
        }
    }

    private static byte[] hex(String option, String text) {
        String t = text.trim();
        if (t.startsWith("0x") || t.startsWith("0X")) {
            t = t.substring(2);
        }
        try {
            return HexFormat.of().parseHex(t);
        } catch (IllegalArgumentException e) {
            throw new UsageException(option + " '" + text + "' is not hex (an even number of 0-9a-f digits)");
        }
    }

    private static byte[] padded(byte[] value, int length, String option) {
        if (value.length > length) {
            throw new UsageException(option + " is " + value.length + " bytes; at most " + length + " allowed");
        }
        return Arrays.copyOf(value, length);
    }

    private static long number(String option, String text, long min, long max) {
        try {
            long v = Long.parseLong(text.trim());
            if (v < min || v > max) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new UsageException(option + " '" + text + "' must be an integer in " + min + ".." + max);
        }
    }
}
