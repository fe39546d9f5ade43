package dev.kavach.backend.sev.cli;

import dev.kavach.attestation.snp.*;
import dev.kavach.attestation.snp.*;
import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendSettings;
import dev.kavach.backend.sev.cli.AttestCommand;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code kavach attest}: exit codes 0/1/2, listed checks, JSON, and {@code show}. */
class AttestCommandTest {
    static SyntheticChain chain;
    static final String AT = "2026-06-01T00:00:00Z";

    @TempDir
    Path dir;

    @BeforeAll
    static void chain() {
        chain = SyntheticChain.create(SevGeneration.MILAN);
    }

    record Run(int exit, String out, String err) {
    }

    private Run run(AttestCommand command, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        BackendContext context = new BackendContext("sev", BackendSettings.of("kavach.backends.sev",
                java.util.Map.of("attestation.cert-dir", dir.resolve("certs").toString(), "attestation.offline", "true")), dir.resolve("state"), "0.1.0");
        int exit = command.run(List.of(args), context, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Run synthetic(String... args) {
        return run(new AttestCommand(chain.anchors()), args);
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private List<String> files(byte[] report) throws Exception {
        Path r = write("report.bin", report);
        Path vcek = write("vcek.der", chain.vcek.getEncoded());
        Path pem = write("chain.pem", (CertificateFiles.pem(chain.ask) + CertificateFiles.pem(chain.ark)).getBytes(StandardCharsets.US_ASCII));
        return new ArrayList<>(List.of("verify", "--report", r.toString(), "--vcek", vcek.toString(), "--chain", pem.toString(), "--at", AT));
    }

    @Test
    void exit0WhenEveryCheckPasses() throws Exception {
        List<String> args = files(chain.report(new byte[64], 0x30000));
        Run r = synthetic(args.toArray(String[]::new));
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("PASS report.signature"), r.out());
        assertTrue(r.out().contains("VERIFIED: all"), r.out());
    }

    @Test
    void exit1ListsEachFailedCheck() throws Exception {
        byte[] report = chain.report(new byte[64], 0x30000L | 1L << 19);
        report[0x90] ^= 1;
        List<String> args = files(report);
        args.addAll(List.of("--expect-measurement", "ab".repeat(48)));
        Run r = synthetic(args.toArray(String[]::new));
        assertEquals(1, r.exit(), r.out() + r.err());
        for (String name : List.of("report.signature", "policy.debug", "policy.measurement")) {
            assertTrue(r.out().contains("FAIL " + name), name + " in " + r.out());
        }
        assertTrue(r.out().contains("NOT VERIFIED: 3 of"), r.out());
    }

    @Test
    void allowDebugAndReportDataOptionsReachTheAppraisal() throws Exception {
        byte[] data = new byte[64];
        data[0] = 1;
        data[1] = 2;
        List<String> args = files(chain.report(data, 0x30000L | 1L << 19));
        args.addAll(List.of("--allow-debug", "--report-data", "0102"));
        assertEquals(0, synthetic(args.toArray(String[]::new)).exit());
        args.set(args.size() - 1, "0103");
        Run r = synthetic(args.toArray(String[]::new));
        assertEquals(1, r.exit());
        assertTrue(r.out().contains("FAIL policy.report-data"), r.out());
    }

    @Test
    void jsonListsVerdictClaimsAndChecks() throws Exception {
        List<String> args = files(chain.report(new byte[64], 0x30000));
        args.add("--json");
        Run ok = synthetic(args.toArray(String[]::new));
        assertEquals(0, ok.exit());
        assertTrue(ok.out().startsWith("{\n  \"report\": "), ok.out());
        assertTrue(ok.out().contains("\"verified\": true"), ok.out());
        assertTrue(ok.out().contains("\"reported_tcb.snp\": \"8\""), ok.out());
        assertTrue(ok.out().contains("\"name\": \"vek.hwid\",\n      \"passed\": true"), ok.out());
        args.addAll(List.of("--min-tcb", "snp=9"));
        Run low = synthetic(args.toArray(String[]::new));
        assertEquals(1, low.exit());
        assertTrue(low.out().contains("\"verified\": false"));
        assertTrue(low.out().contains("\"name\": \"policy.minimum-tcb\",\n      \"passed\": false"), low.out());
    }

    @Test
    void certificatesComeFromTheCacheDirectory() throws Exception {
        Path report = write("report.bin", chain.report(new byte[64], 0x30000));
        Path gen = dir.resolve("cache/Milan");
        Path vcekFile = gen.resolve("vcek").resolve(KdsClient.hwid(SevGeneration.MILAN, chain.chipId)).resolve(String.format("%016x.der", chain.tcb.raw()));
        Files.createDirectories(vcekFile.getParent());
        Files.write(vcekFile, chain.vcek.getEncoded());
        Files.writeString(gen.resolve("cert_chain.pem"), CertificateFiles.pem(chain.ask) + CertificateFiles.pem(chain.ark));
        Run r = synthetic("verify", "--report", report.toString(), "--cert-dir", dir.resolve("cache").toString(), "--at", AT);
        assertEquals(0, r.exit(), r.out() + r.err());
        Run missing = synthetic("verify", "--report", report.toString(), "--cert-dir", dir.resolve("empty").toString(), "--at", AT);
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("offline (attestation.offline = true)") && missing.err().contains("no cached Milan VCEK at "
                + dir.resolve("empty/Milan/vcek")), missing.err());
        assertTrue(missing.err().contains("kavach sev fetch-certs --report") && missing.err().contains("--generation milan --chip-id HEX --tcb HEX")
                && missing.err().contains("attestation.offline = false"), "the fix names the command and the setting: " + missing.err());
    }

    @Test
    void exit2ForUnusableInputWithAClearMessage() throws Exception {
        List<String> good = files(chain.report(new byte[64], 0x30000));
        String report = good.get(2);
        Path garbage = write("garbage.bin", new byte[100]);
        Path hex = write("report.hex", "02000000 0000".getBytes(StandardCharsets.US_ASCII));
        Object[][] cases = {
                {new String[] {"verify", "--report", dir.resolve("nope.bin").toString()}, "does not exist"},
                {new String[] {"verify", "--report", garbage.toString()}, "length is 100 bytes"},
                {new String[] {"verify", "--report", hex.toString()}, "hex text"},
                {new String[] {"verify", "--report", report, "--report-data", "xyz"}, "not hex"},
                {new String[] {"verify", "--report", report, "--expect-measurement", "abcd"}, "48 bytes"},
                {new String[] {"verify", "--report", report, "--at", "yesterday"}, "ISO-8601"},
                {new String[] {"verify", "--report", report, "--frobnicate"}, "Unknown option: '--frobnicate'"},
                {new String[] {"verify", "--report"}, "Missing required parameter for option '--report' (FILE)"},
                {new String[] {"verify"}, "--report FILE is required (or --evidence FILE)"},
                {new String[] {"verify", "--report", report, "--min-tcb", "snp"}, "NAME=SPL"},
                {new String[] {"verify", "--report", report, "--vcek", dir.resolve("none.der").toString()}, "does not exist"},
                {new String[] {"verify", "--report", report, "--vcek", garbage.toString()}, "not a PEM or DER"},
                {new String[] {"frob"}, "unknown command 'frob'; commands: verify, show"},
                {new String[] {}, "Usage"},
        };
        for (Object[] c : cases) {
            String[] args = (String[]) c[0];
            Run r = synthetic(args);
            assertEquals(2, r.exit(), String.join(" ", args) + ": " + r.out() + r.err());
            assertTrue(r.err().contains((String) c[1]), String.join(" ", args) + " -> " + r.err());
        }
        Run json = synthetic("verify", "--report", garbage.toString(), "--json");
        assertEquals(2, json.exit());
        assertTrue(json.out().contains("\"error\": \"invalid SEV-SNP attestation report: report at offset 0x000"), json.out());
        assertTrue(json.out().contains("\"exit_code\": 2"), json.out());
    }

    @Test
    void helpIsPrintedWithExit0() {
        Run r = synthetic("verify", "--help");
        assertEquals(0, r.exit());
        assertTrue(r.out().contains("--expect-measurement=HEX"), r.out());
        AttestCommand command = new AttestCommand();
        assertEquals("attest", command.name());
        assertEquals("sev", command.backendId());
    }

    @Test
    void showDecodesEveryFieldWithTcbComponentsByName() throws Exception {
        Path report = write("report.bin", chain.report(new byte[64], 0x30000));
        Run text = synthetic("show", "--report", report.toString());
        assertEquals(0, text.exit(), text.err());
        for (String expected : List.of("version: 3", "tcb_layout: Milan (report CPUID)", "reported_tcb:\n  raw: 0x7308000000000003\n  boot_loader: 3\n  tee: 0\n  snp: 8\n  microcode: 115",
                "debug_allowed: false", "signing_key: VCEK", "cpuid_fam_id: 0x19", "current_version: 1.55 build 3", "report_id_ma:", "signature:\n  r: ")) {
            assertTrue(text.out().contains(expected), expected + " in\n" + text.out());
        }
        Run json = synthetic("show", "--report", report.toString(), "--json", "--generation", "turin");
        assertEquals(0, json.exit());
        assertTrue(json.out().contains("\"fmc\": 3"), json.out());
        assertTrue(json.out().contains("\"tcb_layout\": \"Turin (--generation)\""), json.out());
        assertEquals(2, synthetic("show", "--report", report.toString(), "--generation", "naples").exit());
    }

    @Test
    void realDebugVectorExits1UnlessDebugIsAllowed() {
        SharedVectors.require();
        SharedVectors.Vector v = SharedVectors.GO_SEV_GUEST_DEBUG;
        String[] base = {"verify", "--report", SharedVectors.path(v.report()).toString(), "--vcek", SharedVectors.path(v.vek()).toString(),
                "--chain", SharedVectors.path("virtee-sev_milan-vcek-v2/cert_chain_milan.pem").toString(), "--at", AT};
        Run strict = run(new AttestCommand(), base);
        assertEquals(1, strict.exit(), strict.out() + strict.err());
        assertTrue(strict.out().contains("FAIL policy.debug"));
        List<String> lenient = new ArrayList<>(List.of(base));
        lenient.add("--allow-debug");
        Run ok = run(new AttestCommand(), lenient.toArray(String[]::new));
        assertEquals(0, ok.exit(), ok.out());
        assertTrue(ok.out().contains("PASS ark.pinned: ARK is AMD's Milan root"), ok.out());
    }

    @Test
    void registeredForServiceLoader() throws IOException {
        try (InputStream in = AttestCommand.class.getResourceAsStream("/META-INF/services/dev.kavach.api.CommandExtension")) {
            assertFalse(in == null, "services file missing");
            assertTrue(new String(in.readAllBytes(), StandardCharsets.UTF_8).contains(AttestCommand.class.getName()));
        }
    }
}
