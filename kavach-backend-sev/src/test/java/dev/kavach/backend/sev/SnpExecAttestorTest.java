package dev.kavach.backend.sev;

import dev.kavach.backend.sev.snp.ExecAttestor;
import dev.kavach.backend.sev.snp.SnpExecAttestor;

import dev.kavach.api.Attestation;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.attestation.snp.CertificateStore;
import dev.kavach.attestation.snp.ResultBinding;
import dev.kavach.attestation.snp.ResultStatement;
import dev.kavach.attestation.snp.SimulatedPsp;
import dev.kavach.attestation.snp.SnpAttestationVerifier;
import dev.kavach.attestation.snp.TaskBinding;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The host's check of what a guest vouched for, against reports signed by the test-only {@link SimulatedPsp}:
 * an honest result passes; each kind of tampering with the result is caught and named; the production
 * trust anchors never accept the simulated PSP. (The guest side of the same statement is checked against the
 * real guest script in {@link GuestAttestScriptTest}, and the whole path under TCG in {@link SimulatedSevEndToEndTest}.)
 */
class SnpExecAttestorTest {
    private static final long POLICY = 0x30000;
    private static final byte[] MEASUREMENT = new byte[48];
    private static final ExecRequest REQUEST = ExecRequest.of("sh", "-c", "echo out; echo err >&2; exit 3")
            .withEnv(Map.of("GREETING", "hi")).withWorkdir("/w").withStdin("in".getBytes(StandardCharsets.UTF_8))
            .withPolicy(SandboxPolicy.basic().withOutputLimitBytes(1024));
    private static SimulatedPsp psp;
    private static Path certs;

    static {
        Arrays.fill(MEASUREMENT, (byte) 0x3C);
    }

    @BeforeAll
    static void psp(@TempDir Path dir) throws Exception {
        psp = new SimulatedPsp();
        certs = dir;
        psp.installCertificates(certs);
    }

    private static SnpExecAttestor attestor(SnpAttestationVerifier verifier, String measurement) {
        return new SnpExecAttestor("job", Map.of("policy", "0x30000"), new CertificateStore(certs, null), verifier,
                dev.kavach.attestation.snp.AppraisalPolicy.defaults().withExpectedMeasurement(measurement));
    }

    private static SnpExecAttestor attestor() {
        return attestor(psp.verifier(), HexFormat.of().formatHex(MEASUREMENT));
    }

    /** What an honest guest returns: the statement over what it received and produced, and a report bound to it. */
    private static ExecAttestor.GuestResult honest(SnpExecAttestor attestor, byte[] nonce, byte[] stdout, byte[] stderr, long stdoutDropped, int exit) {
        ResultStatement statement = ResultBinding.expected(nonce, REQUEST, stdout, stderr, stdoutDropped, 0, exit);
        byte[] report = psp.report(statement.reportData(), attestor.hostData(REQUEST), MEASUREMENT, POLICY);
        return new ExecAttestor.GuestResult(statement.text().getBytes(StandardCharsets.UTF_8), report, new byte[0], stdout, stderr, stdoutDropped, 0, exit);
    }

    private static ExecAttestor.GuestResult honest(SnpExecAttestor attestor, byte[] nonce) {
        return honest(attestor, nonce, "out\n".getBytes(StandardCharsets.UTF_8), "err\n".getBytes(StandardCharsets.UTF_8), 0, 3);
    }

    private static List<String> failures(Attestation attestation) {
        return attestation.checks().stream().filter(c -> !c.passed()).map(c -> c.name() + ": " + c.detail()).toList();
    }

    private static ExecAttestor.GuestResult with(ExecAttestor.GuestResult r, byte[] stdout, int exit) {
        return new ExecAttestor.GuestResult(r.statement(), r.report(), r.certificates(), stdout, r.stderr(), r.stdoutDropped(), r.stderrDropped(), exit);
    }

    @Test
    void anHonestResultVerifiesWithEveryCheckPassing() {
        SnpExecAttestor attestor = attestor();
        byte[] nonce = TaskBinding.newNonce();
        Attestation attestation = attestor.verify(REQUEST, nonce, attestor.hostData(REQUEST), honest(attestor, nonce));
        assertThat(failures(attestation)).isEmpty();
        assertThat(attestation.verified()).isTrue();
        assertThat(attestation.checks()).extracting(Attestation.Check::name)
                .contains("result.binding", "policy.report-data", "policy.host-data", "policy.measurement", "report.signature");
    }

    @Test
    void aTruncatedStreamVerifiesWithTheGuestsDroppedCount() {
        SnpExecAttestor attestor = attestor();
        byte[] nonce = TaskBinding.newNonce();
        byte[] limitBytes = new byte[1024];
        Attestation attestation = attestor.verify(REQUEST, nonce, attestor.hostData(REQUEST), honest(attestor, nonce, limitBytes, new byte[0], 5000, 0));
        assertThat(failures(attestation)).isEmpty();
    }

    @Test
    void aChangedStdoutByteIsCaughtAndNamed() {
        SnpExecAttestor attestor = attestor();
        byte[] nonce = TaskBinding.newNonce();
        ExecAttestor.GuestResult good = honest(attestor, nonce);
        byte[] stdout = good.stdout();
        stdout[0] ^= 1;
        Attestation attestation = attestor.verify(REQUEST, nonce, attestor.hostData(REQUEST), with(good, stdout, good.exit()));
        assertThat(attestation.verified()).isFalse();
        assertThat(failures(attestation)).singleElement().asString()
                .startsWith("result.binding: stdout digest differs: the guest vouched for " + sha256("out\n".getBytes(StandardCharsets.UTF_8)))
                .endsWith("the host received " + sha256(stdout));
    }

    @Test
    void aChangedExitStatusIsCaughtAndNamed() {
        SnpExecAttestor attestor = attestor();
        byte[] nonce = TaskBinding.newNonce();
        ExecAttestor.GuestResult good = honest(attestor, nonce);
        Attestation attestation = attestor.verify(REQUEST, nonce, attestor.hostData(REQUEST), with(good, good.stdout(), 0));
        assertThat(attestation.verified()).isFalse();
        assertThat(failures(attestation)).containsExactly("result.binding: exit status differs: the guest vouched for 3, the host received 0");
    }

    @Test
    void aReplayedResultFromAnEarlierExecIsCaughtByItsNonce() {
        SnpExecAttestor attestor = attestor();
        byte[] earlier = TaskBinding.newNonce();
        ExecAttestor.GuestResult replayed = honest(attestor, earlier);
        byte[] now = TaskBinding.newNonce();
        Attestation attestation = attestor.verify(REQUEST, now, attestor.hostData(REQUEST), replayed);
        assertThat(attestation.verified()).isFalse();
        assertThat(failures(attestation)).singleElement().asString()
                .contains("nonce differs: the guest vouched for " + HexFormat.of().formatHex(earlier))
                .contains("this exec's nonce is " + HexFormat.of().formatHex(now))
                .contains("replayed");
    }

    @Test
    void aStatementFieldChangedAfterTheReportIsCaughtByReportData() {
        SnpExecAttestor attestor = attestor();
        byte[] nonce = TaskBinding.newNonce();
        ExecAttestor.GuestResult good = honest(attestor, nonce);
        // The host (or anyone on the way) rewrites the statement to claim exit 0 and passes exit 0 along: the
        // statement is then consistent with the result, but the report vouches for the original text only.
        String forged = new String(good.statement(), StandardCharsets.UTF_8).replace("\nexit 3\n", "\nexit 0\n");
        Attestation attestation = attestor.verify(REQUEST, nonce, attestor.hostData(REQUEST), new ExecAttestor.GuestResult(
                forged.getBytes(StandardCharsets.UTF_8), good.report(), new byte[0], good.stdout(), good.stderr(), 0, 0, 0));
        assertThat(attestation.verified()).isFalse();
        assertThat(failures(attestation)).singleElement().asString().startsWith("binding.report-data:");
    }

    @Test
    void aDifferentTaskOrDroppedCountIsNamedPartByPart() {
        SnpExecAttestor attestor = attestor();
        byte[] nonce = TaskBinding.newNonce();
        ExecAttestor.GuestResult good = honest(attestor, nonce);
        ExecRequest other = REQUEST.withEnv(Map.of("GREETING", "bye"));
        ExecAttestor.GuestResult moreDropped = new ExecAttestor.GuestResult(good.statement(), good.report(), new byte[0], good.stdout(),
                good.stderr(), 0, 7, good.exit());
        assertThat(failures(attestor.verify(other, nonce, attestor.hostData(REQUEST), good)))
                .singleElement().asString().startsWith("result.binding: env digest differs: the guest vouched for");
        assertThat(failures(attestor.verify(REQUEST, nonce, attestor.hostData(REQUEST), moreDropped)))
                .containsExactly("result.binding: stderr-dropped differs: the guest vouched for 0, the result says 7",
                        "result.binding: stderr: 7 bytes were dropped after the limit of 1024, but 4 arrived");
    }

    @Test
    void theMeasurementIsPinned() {
        SnpExecAttestor attestor = attestor(psp.verifier(), "ab".repeat(48));
        byte[] nonce = TaskBinding.newNonce();
        assertThat(failures(attestor.verify(REQUEST, nonce, attestor.hostData(REQUEST), honest(attestor, nonce))))
                .singleElement().asString().startsWith("policy.measurement:");
    }

    @Test
    void productionTrustAnchorsNeverAcceptTheSimulatedPsp() {
        // The verifier production assembles (VmBackends): AMD's pinned ARKs at the system clock.
        SnpExecAttestor production = attestor(SnpAttestationVerifier.atSystemClock(), HexFormat.of().formatHex(MEASUREMENT));
        byte[] nonce = TaskBinding.newNonce();
        Attestation attestation = production.verify(REQUEST, nonce, production.hostData(REQUEST), honest(production, nonce));
        assertThat(attestation.verified()).isFalse();
        assertThat(failures(attestation)).anySatisfy(f -> assertThat(f).startsWith("ark.pinned:").contains("none of the pinned roots"));
    }

    @Test
    void aMalformedStatementIsRejected() {
        SnpExecAttestor attestor = attestor();
        byte[] nonce = TaskBinding.newNonce();
        ExecAttestor.GuestResult good = honest(attestor, nonce);
        Attestation attestation = attestor.verify(REQUEST, nonce, attestor.hostData(REQUEST), new ExecAttestor.GuestResult(
                "exit 0\n".getBytes(StandardCharsets.UTF_8), good.report(), new byte[0], good.stdout(), good.stderr(), 0, 0, 3));
        assertThat(attestation.verified()).isFalse();
        assertThat(failures(attestation)).singleElement().asString().startsWith("statement: the guest's result statement is malformed");
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
