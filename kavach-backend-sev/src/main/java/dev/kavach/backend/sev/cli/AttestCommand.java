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
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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

/**
 * {@code kavach attest}: verify an SEV-SNP attestation report ({@code verify}) or decode one
 * ({@code show}). Exit codes of {@code verify}: 0 every check passed, 1 a check failed (each is listed),
 * 2 unusable input (missing file, bad hex, unparseable report, certificates not found, a usage error).
 * Parsed by picocli; with {@code --json} every failure is also a JSON object on stdout.
 */
public final class AttestCommand implements CommandExtension {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int UNUSABLE = PluginCommandLine.USAGE;

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
        // Also before picocli has parsed anything: a usage error of a --json run is JSON on stdout too.
        boolean json = args.contains("--json");
        Map<String, Object> subcommands = new LinkedHashMap<>();
        subcommands.put("verify", new Verify().bind(context, out, err));
        subcommands.put("show", new Show().bind(context, out, err));
        CommandLine cl = PluginCommandLine.create(new Attest(), subcommands, out, err, message -> {
            if (json) {
                printError(message, "", out);
            }
        });
        cl.setExecutionExceptionHandler((ex, command, parseResult) -> {
            if (ex instanceof KavachException e) {
                err.println("kavach attest: " + e.getMessage() + (e.fix().isEmpty() ? "" : "\n  fix: " + e.fix()));
                if (json) {
                    printError(e.getMessage(), e.fix(), out);
                }
                return UNUSABLE;
            }
            throw ex;
        });
        return PluginCommandLine.execute(cl, args);
    }

    private static void printError(String message, String fix, PrintStream out) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error", message);
        m.put("fix", fix);
        m.put("exit_code", UNUSABLE);
        out.print(Json.write(m));
    }

    @Command(name = "kavach attest", description = "Verifies or decodes an AMD SEV-SNP attestation report.",
            footer = "Exit: 0 all checks passed, 1 a check failed (each is named), 2 unusable input.")
    static final class Attest extends PluginCommandLine.Root {
    }

    /** What both subcommands share: reading the report and other files, failing as a usage error. */
    abstract static class ReportInput extends PluginCommandLine.Subcommand {

        AttestationReport parseReport(Path file) {
            byte[] bytes = readFile(file, "report");
            try {
                return AttestationReport.parse(bytes);
            } catch (dev.kavach.attestation.snp.ReportParseException e) {
                if (bytes.length > 0 && new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1).matches("(?s)[0-9a-fA-F\\s]+")) {
                    throw usage("report file " + file + " is hex text, not the binary report: convert it with"
                            + " 'xxd -r -p " + file + " > report.bin'");
                }
                throw e;
            }
        }

        Path existing(Path file, String what) {
            if (!Files.isRegularFile(file)) {
                throw usage(what + " file " + file + " does not exist or is not a file");
            }
            return file;
        }

        byte[] readFile(Path file, String what) {
            try {
                return Files.readAllBytes(existing(file, what));
            } catch (IOException e) {
                throw usage("cannot read " + what + " file " + file + ": " + e.getMessage());
            }
        }
    }

    @Command(name = "verify", sortOptions = false,
            description = {
                    "verify --report: checks the report's ECDSA signature, the VCEK/VLEK <- ASK/ASVK <- ARK chain (ARK pinned to AMD's"
                            + " Milan, Genoa or Turin root), the VEK's TCB and hwID against the report, and the appraisal.",
                    "verify --evidence: re-verifies a result's portable evidence (kavach run --backend sev --json, claim \"evidence\")"
                            + " offline: signature and chain, appraisal, REPORT_DATA = SHA-512(statement), measurement.",
                    "Appraisal options apply to both forms; their defaults come from the attestation.* settings."},
            footer = "Exit: 0 all checks passed, 1 a check failed (each is named), 2 unusable input.")
    final class Verify extends ReportInput {

        @Option(names = "--report", paramLabel = "FILE", description = "the 1184-byte report (binary)")
        Path report;
        @Option(names = "--vcek", paramLabel = "FILE", description = "the VCEK or VLEK (DER or PEM); else looked up in the cert dir / KDS")
        Path vcek;
        @Option(names = "--chain", paramLabel = "FILE", description = "ASK (or ASVK) and ARK, PEM (AMD's cert_chain); else cert dir / KDS")
        Path chain;
        @Option(names = "--cert-table", paramLabel = "FILE", description = "the certificate table that came with the report (configfs-tsm"
                + " auxblob, extended report): VLEK/VCEK, ASK/ASVK, ARK by GUID; a VLEK needs no KDS")
        Path certTable;
        @Option(names = "--cert-dir", paramLabel = "DIR", description = "certificate cache (default: setting attestation.cert-dir)")
        Path certDir;
        @Option(names = "--offline", description = "never fetch from AMD KDS (default: fetch what the cache lacks, unless attestation.offline = true)")
        boolean offline;
        @Option(names = "--kds", description = "fetch from AMD KDS even when the setting attestation.offline is true")
        boolean kdsFetch;
        @Option(names = "--evidence", paramLabel = "FILE", description = "the evidence JSON (format in the README)")
        Path evidence;
        @Option(names = "--measurement", paramLabel = "HEX", description = "the launch measurement you computed with 'kavach sev measure' (96 hex digits)")
        String measurement;
        @Option(names = "--any-measurement", description = "accept the evidence's own measurement (proves only that some guest ran)")
        boolean anyMeasurement;
        @Option(names = "--stdout", paramLabel = "FILE", description = "the stdout you received: its SHA-256 must match the statement")
        Path stdout;
        @Option(names = "--stderr", paramLabel = "FILE", description = "the stderr you received: its SHA-256 must match the statement")
        Path stderr;
        @Option(names = "--expect-measurement", paramLabel = "HEX", description = "accepted MEASUREMENT (96 hex digits); repeatable")
        List<String> expectMeasurement = new ArrayList<>();
        @Option(names = "--launched-policy", paramLabel = "HEX", description = "the guest policy the VM was launched with; POLICY must equal it")
        String launchedPolicy;
        @Option(names = "--report-data", paramLabel = "HEX", description = "required REPORT_DATA, up to 64 bytes (zero-padded)")
        String reportData;
        @Option(names = "--host-data", paramLabel = "HEX", description = "required HOST_DATA, up to 32 bytes (zero-padded)")
        String hostData;
        @Option(names = "--min-tcb", paramLabel = "NAME=SPL", description = "minimum REPORTED_TCB component (boot_loader, tee, snp, microcode, fmc); repeatable")
        List<String> minTcb = new ArrayList<>();
        @Option(names = "--min-committed-tcb", paramLabel = "NAME=SPL", description = "the same for COMMITTED_TCB; repeatable")
        List<String> minCommittedTcb = new ArrayList<>();
        @Option(names = "--min-launch-tcb", paramLabel = "NAME=SPL", description = "the same for LAUNCH_TCB; repeatable")
        List<String> minLaunchTcb = new ArrayList<>();
        @Option(names = "--min-firmware", paramLabel = "X.Y[.B]", description = "minimum SEV firmware version (current and committed)")
        String minFirmware;
        @Option(names = "--min-guest-svn", paramLabel = "N", description = "minimum GUEST_SVN")
        String minGuestSvn;
        @Option(names = "--max-vmpl", paramLabel = "N", description = "highest VMPL accepted (0..3, default 0)")
        String maxVmpl;
        @Option(names = "--require-platform", paramLabel = "NAME", description = "PLATFORM_INFO bit that must be set (smt, tsme, ecc,"
                + " rapl-disabled, ciphertext-hiding, alias-check-complete, tio); repeatable")
        List<String> requirePlatform = new ArrayList<>();
        @Option(names = "--forbid-platform", paramLabel = "NAME", description = "PLATFORM_INFO bit that must be clear; repeatable")
        List<String> forbidPlatform = new ArrayList<>();
        @Option(names = "--allow-debug", description = "accept a guest policy that allows debugging")
        boolean allowDebug;
        @Option(names = "--allow-migration-agent", description = "accept a guest policy that allows a migration agent")
        boolean allowMigrationAgent;
        @Option(names = "--forbid-smt", description = "reject a guest policy that allows SMT")
        boolean forbidSmt;
        @Option(names = "--id-key-digest", paramLabel = "HEX", description = "accepted ID_KEY_DIGEST; repeatable")
        List<String> idKeyDigest = new ArrayList<>();
        @Option(names = "--author-key-digest", paramLabel = "HEX", description = "accepted AUTHOR_KEY_DIGEST; repeatable")
        List<String> authorKeyDigest = new ArrayList<>();
        @Option(names = "--check-revocation", description = "check the ASK/ASVK against AMD's CRL (cached; fetched unless offline)")
        boolean checkRevocation;
        @Option(names = "--crl", paramLabel = "FILE", description = "check against this CRL file instead (DER, as KDS serves it)")
        Path crl;
        @Option(names = "--at", paramLabel = "ISO-INSTANT", description = "judge certificate validity at this time (e.g. 2025-06-01T00:00:00Z)")
        String at;
        @Option(names = "--json", description = "machine-readable output")
        boolean json;

        @Override
        public Integer call() {
            if (evidence != null) {
                for (String option : given(report, "--report", vcek, "--vcek", chain, "--chain", certTable, "--cert-table")) {
                    throw usage(option + " cannot be combined with --evidence: the evidence file carries the report and its certificates");
                }
                return verifyEvidence();
            }
            for (String option : given(measurement, "--measurement", stdout, "--stdout", stderr, "--stderr")) {
                throw usage(option + " belongs to --evidence verification; for a bare report use --expect-measurement");
            }
            if (anyMeasurement) {
                throw usage("--any-measurement belongs to --evidence verification");
            }
            if (report == null) {
                throw usage("--report FILE is required (or --evidence FILE)");
            }
            AttestationReport parsed = parseReport(report);
            AttestationSettings settings = AttestationSettings.from(context.settings(), context.stateDir());
            AppraisalPolicy policy = policy(settings);
            Clock clock = clock();

            CertificateStore store = store(settings);
            Optional<X509Certificate> vek = Optional.ofNullable(vcek).map(p -> CertificateFiles.readOne(existing(p, "VCEK/VLEK")));
            List<X509Certificate> certs = chain == null ? List.of() : CertificateFiles.read(existing(chain, "certificate chain"));
            VekChain vekChain;
            if (certTable != null) {
                if (vek.isPresent() || !certs.isEmpty()) {
                    throw usage("--cert-table carries the VEK and chain: leave out --vcek and --chain");
                }
                vekChain = store.chainFor(parsed, CertificateTable.parse(readFile(certTable, "certificate table")));
            } else {
                vekChain = store.chainFor(parsed, vek, certs);
            }

            AttestationResult result = new SnpAttestationVerifier(new ReportVerifier(clock, null, anchors))
                    .verify(parsed, vekChain, policy, revocation(settings, store));
            print(result, "report", report.toString(), json, out);
            return result.passed() ? OK : FAILED;
        }

        /** The names of the options given, from pairs of (value, name). */
        private static List<String> given(Object... valuesAndNames) {
            List<String> names = new ArrayList<>();
            for (int i = 0; i < valuesAndNames.length; i += 2) {
                if (valuesAndNames[i] != null) {
                    names.add((String) valuesAndNames[i + 1]);
                }
            }
            return names;
        }

        private int verifyEvidence() {
            SnpEvidence parsed;
            try {
                parsed = SnpEvidence.parse(new String(readFile(evidence, "evidence"), java.nio.charset.StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw usage("evidence file " + evidence + ": " + e.getMessage());
            }
            AttestationSettings settings = AttestationSettings.from(context.settings(), context.stateDir());
            Optional<String> reference = Optional.ofNullable(measurement).map(m -> {
                try {
                    return SnpEvidence.measurementHex(m.startsWith("0x") ? m.substring(2) : m, "--measurement");
                } catch (IllegalArgumentException e) {
                    throw usage(e.getMessage() + " (print it with 'kavach sev measure ... --output-format hex')");
                }
            });
            if (reference.isPresent() && anyMeasurement) {
                throw usage("--measurement and --any-measurement exclude each other");
            }
            Optional<byte[]> stdoutBytes = Optional.ofNullable(stdout).map(p -> readFile(p, "stdout"));
            Optional<byte[]> stderrBytes = Optional.ofNullable(stderr).map(p -> readFile(p, "stderr"));
            // Offline by design: the evidence carries its chain; only a revocation check may need the cache (never KDS unless --kds).
            CertificateStore store = new CertificateStore(certDir != null ? certDir : settings.certDir(), kdsFetch ? kds.apply(settings) : null);
            EvidenceVerifier.Options options = new EvidenceVerifier.Options(reference, anyMeasurement, stdoutBytes, stderrBytes,
                    policy(settings), revocation(settings, store));
            AttestationResult result = new EvidenceVerifier(new SnpAttestationVerifier(new ReportVerifier(clock(), null, anchors)))
                    .verify(parsed, options);
            print(result, "evidence", evidence.toString(), json, out);
            return result.passed() ? OK : FAILED;
        }

        private Clock clock() {
            return at == null ? Clock.systemUTC() : Clock.fixed(instant(at), ZoneOffset.UTC);
        }

        private CertificateStore store(AttestationSettings settings) {
            if (kdsFetch && offline) {
                throw usage("--kds and --offline exclude each other");
            }
            boolean online = kdsFetch || settings.kdsEnabled() && !offline;
            return new CertificateStore(certDir != null ? certDir : settings.certDir(), online ? kds.apply(settings) : null);
        }

        private Revocation.Source revocation(AttestationSettings settings, CertificateStore store) {
            if (crl != null) {
                X509CRL parsed = CertificateStore.parseCrl(readFile(crl, "CRL"), crl.toString());
                return (generation, kind) -> parsed;
            }
            return checkRevocation || settings.checkRevocation() ? store::crlFor : null;
        }

        private AppraisalPolicy policy(AttestationSettings settings) {
            AppraisalPolicy.Builder b = settings.appraisal().toBuilder();
            try {
                expectMeasurement.forEach(b::expectMeasurement);
                idKeyDigest.forEach(b::acceptIdKeyDigest);
                authorKeyDigest.forEach(b::acceptAuthorKeyDigest);
                requirePlatform.forEach(b::requirePlatformInfo);
                forbidPlatform.forEach(b::forbidPlatformInfo);
                if (minFirmware != null) {
                    b.minimumFirmware(FirmwareVersion.parse(minFirmware));
                }
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
            if (reportData != null) {
                b.reportData(padded(hex("--report-data", reportData), 64, "--report-data"));
            }
            if (hostData != null) {
                b.hostData(padded(hex("--host-data", hostData), 32, "--host-data"));
            }
            if (launchedPolicy != null) {
                try {
                    b.launchedPolicy(Long.decode(launchedPolicy.trim()));
                } catch (NumberFormatException e) {
                    throw usage("--launched-policy '" + launchedPolicy + "' is not a number such as 0x30000");
                }
            }
            tcb("--min-tcb", minTcb, b::minimumTcb);
            tcb("--min-committed-tcb", minCommittedTcb, b::minimumCommittedTcb);
            tcb("--min-launch-tcb", minLaunchTcb, b::minimumLaunchTcb);
            if (minGuestSvn != null) {
                b.minimumGuestSvn(number("--min-guest-svn", minGuestSvn, 0, 0xFFFF_FFFFL));
            }
            if (maxVmpl != null) {
                b.maxVmpl((int) number("--max-vmpl", maxVmpl, 0, 3));
            }
            if (allowDebug) {
                b.allowDebug(true);
            }
            b.allowMigrationAgent(allowMigrationAgent);
            if (forbidSmt) {
                b.allowSmt(false);
            }
            try {
                return b.build();
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
        }

        private void tcb(String option, List<String> specs, java.util.function.ObjIntConsumer<String> setter) {
            for (String spec : specs) {
                int eq = spec.indexOf('=');
                if (eq <= 0) {
                    throw usage(option + " '" + spec + "' must be NAME=SPL, e.g. snp=8");
                }
                try {
                    setter.accept(spec.substring(0, eq), Integer.parseInt(spec.substring(eq + 1)));
                } catch (IllegalArgumentException e) {
                    throw usage(option + " '" + spec + "': " + e.getMessage());
                }
            }
        }

        private Instant instant(String text) {
            try {
                return Instant.parse(text);
            } catch (DateTimeParseException e) {
                throw usage("--at '" + text + "' is not an ISO-8601 instant such as 2025-06-01T00:00:00Z");
            }
        }

        private byte[] hex(String option, String text) {
            String t = text.trim();
            if (t.startsWith("0x") || t.startsWith("0X")) {
                t = t.substring(2);
            }
            try {
                return HexFormat.of().parseHex(t);
            } catch (IllegalArgumentException e) {
                throw usage(option + " '" + text + "' is not hex (an even number of 0-9a-f digits)");
            }
        }

        private byte[] padded(byte[] value, int length, String option) {
            if (value.length > length) {
                throw usage(option + " is " + value.length + " bytes; at most " + length + " allowed");
            }
            return Arrays.copyOf(value, length);
        }

        private long number(String option, String text, long min, long max) {
            try {
                long v = Long.parseLong(text.trim());
                if (v < min || v > max) {
                    throw new NumberFormatException();
                }
                return v;
            } catch (NumberFormatException e) {
                throw usage(option + " '" + text + "' must be an integer in " + min + ".." + max);
            }
        }
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

    @Command(name = "show", description = "Decodes a report's fields; the TCB layout comes from --generation, the VEK's product name,"
            + " the report's CPUID, or else Milan's.")
    static final class Show extends ReportInput {

        // Checked in call(), not by picocli, so that an unknown option is reported before a missing --report.
        @Option(names = "--report", paramLabel = "FILE", description = "the 1184-byte report (binary); required")
        Path report;
        @Option(names = "--generation", paramLabel = "G", description = "milan, genoa or turin: the TCB layout to decode with")
        String generation;
        @Option(names = "--vcek", paramLabel = "FILE", description = "the VCEK or VLEK whose product name gives the layout")
        Path vcek;
        @Option(names = "--json", description = "machine-readable output")
        boolean json;

        @Override
        public Integer call() {
            if (report == null) {
                throw usage("--report FILE is required");
            }
            AttestationReport parsed = parseReport(report);
            SevGeneration layout;
            String basis;
            if (generation != null) {
                layout = SevGeneration.byName(generation).orElseThrow(() -> usage("--generation '" + generation + "': expected milan, genoa or turin"));
                basis = "--generation";
            } else if (vcek != null) {
                VekCertificate vek = new VekCertificate(CertificateFiles.readOne(existing(vcek, "VCEK/VLEK")));
                layout = vek.productName().flatMap(SevGeneration::byProductName).orElse(SevGeneration.MILAN);
                basis = "VEK product name " + vek.productName().orElse("(none)");
            } else if (parsed.generationFromCpuid().isPresent()) {
                layout = parsed.generationFromCpuid().get();
                basis = "report CPUID";
            } else {
                layout = SevGeneration.MILAN;
                basis = "assumed: a version " + parsed.version() + " report names no CPU; Milan and Genoa share this layout, pass --generation turin for Turin";
            }
            Map<String, Object> fields = ReportFields.describe(parsed, layout, basis);
            out.print(json ? Json.write(fields) : ReportFields.text(fields));
            return OK;
        }
    }
}
