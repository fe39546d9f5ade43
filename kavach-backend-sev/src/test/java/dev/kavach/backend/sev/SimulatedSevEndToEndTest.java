package dev.kavach.backend.sev;

import dev.kavach.backend.sev.guest.GuestBoot;
import dev.kavach.backend.sev.guest.GuestImageBuilder;
import dev.kavach.backend.sev.guest.VmlinuxExtractor;
import dev.kavach.backend.sev.qemu.Accel;
import dev.kavach.backend.sev.snp.ExecAttestor;
import dev.kavach.backend.sev.snp.SnpExecAttestor;
import dev.kavach.backend.sev.snp.SnpGuestPolicy;

import dev.kavach.api.Attestation;
import dev.kavach.api.BackendSettings;
import dev.kavach.api.Command;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.Outcome;
import dev.kavach.api.SandboxException;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.attestation.snp.CertificateStore;
import dev.kavach.attestation.snp.ResultStatement;
import dev.kavach.attestation.snp.SimulatedPsp;
import dev.kavach.backend.sev.cli.AttestCommand;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The {@code sev} backend's whole exec path under TCG, with the test-only simulated PSP standing in for the
 * SEV firmware ({@link SimulatedSnpHost}): the host sends a fresh nonce, the real guest agent bounds and
 * hashes the outputs and writes the statement, the simulated PSP signs a report bound to it, and the host
 * verifies the chain, appraises the report, pins the measurement and checks every digest. A test decorator
 * around the attestor then tampers with what the host received, one part per test.
 */
@Tag("slow")
class SimulatedSevEndToEndTest {
    @TempDir
    static Path dir;
    /** The guest policy the backend launches with (as the host's SMT is off): the report's POLICY and the evidence's. */
    private static final SnpGuestPolicy LAUNCHED = SnpGuestPolicy.hardened(false);
    private static SimulatedSnpHost host;
    private static VmBackend backend;
    private static VmBackend wrongMeasurement;
    private static final AtomicReference<UnaryOperator<ExecAttestor.GuestResult>> TAMPER = new AtomicReference<>(UnaryOperator.identity());
    private static final AtomicReference<ExecAttestor.GuestResult> LAST = new AtomicReference<>();

    /** The real attestor, with what the host received passed through {@link #TAMPER} first. */
    private record Tampering(ExecAttestor real) implements ExecAttestor {
        @Override
        public byte[] hostData(ExecRequest request) {
            return real.hostData(request);
        }

        @Override
        public Attestation verify(ExecRequest request, byte[] nonce, byte[] expectedHostData, GuestResult result) {
            LAST.set(result);
            return real.verify(request, nonce, expectedHostData, TAMPER.get().apply(result));
        }

        /** The backend's path: the pin to the computed measurement, with the evidence recording it. */
        @Override
        public Attestation verify(ExecRequest request, byte[] nonce, byte[] expectedHostData, GuestResult result,
                                  dev.kavach.backend.sev.measure.SnpMeasurement expectedMeasurement) {
            LAST.set(result);
            return real.verify(request, nonce, expectedHostData, TAMPER.get().apply(result), expectedMeasurement);
        }
    }

    @BeforeAll
    static void boot() throws Exception {
        VmPrerequisites.qemu();
        Path busybox = VmPrerequisites.busybox();
        VmPrerequisites.GuestKernel kernel = VmPrerequisites.kernel();
        VmPrerequisites.require(Files.isExecutable(Path.of("/bin/bash")), "/bin/bash for the test's QEMU wrapper");
        host = new SimulatedSnpHost(dir, new SimulatedPsp());
        Path certs = dir.resolve("certs");
        host.psp.installCertificates(certs);
        Path initrd = GuestImageBuilder.build(busybox, kernel.modules(), GuestSetup.wantedModules(true), dir.resolve("images"), null,
                Map.of("kavach/attest", SimulatedSnpHost.testAttestScript())).initrd();
        Path vmlinux = VmlinuxExtractor.extract(kernel.kernel(), VmPrerequisites.stateDir().resolve("kernels"));
        GuestBoot boot = new GuestBoot(vmlinux, initrd, GuestBoot.BASE_APPEND);
        VmSettings settings = VmSettings.from(BackendSettings.of("kavach.backends.sev", Map.of("kernel", kernel.kernel().toString(),
                "qemu", host.qemuWrapper.toString(), "boot-timeout", "240s")), true);
        // No allow-list: the pin to the measurement computed for each launch is what proves the guest.
        backend = backend(settings, boot, certs, List.of());
        wrongMeasurement = backend(settings, boot, certs, List.of("ab".repeat(48)));
    }

    private static VmBackend backend(VmSettings settings, GuestBoot boot, Path certs, List<String> allowedMeasurements) throws java.io.IOException {
        ExecAttestor attestor = new Tampering(new SnpExecAttestor("job-e2e", Map.of("policy", LAUNCHED.toHex()), new CertificateStore(certs, null),
                host.psp.verifier(), allowed(allowedMeasurements)));
        VmBackend.Snp snp = new VmBackend.Snp(LAUNCHED, 51, 1, OvmfKernelHashesProbeTest.suffix(dir, "ovmf_AmdSev_suffix.bin"), Path.of("/dev/sev"), true, attestor);
        return new VmBackend("sev", settings, Accel.TCG, boot, Optional.of(snp), dir);
    }

    private static dev.kavach.attestation.snp.AppraisalPolicy allowed(List<String> measurements) {
        dev.kavach.attestation.snp.AppraisalPolicy policy = dev.kavach.attestation.snp.AppraisalPolicy.defaults();
        for (String m : measurements) {
            policy = policy.withExpectedMeasurement(m);
        }
        return policy;
    }

    @AfterAll
    static void close() throws Exception {
        if (host != null) {
            host.close();
        }
    }

    /** The simulated PSP signs what the backend computes for {@code request}'s launch, as hardware would measure it. */
    private static ExecRequest launched(ExecRequest request) {
        host.launchMeasurement(backend.expectedMeasurement(request).orElseThrow().digest());
        return request;
    }

    private static ExecRequest request() {
        String script = "head -c 100 /dev/zero | tr '\\0' x; cat; printf 'env=%s pwd=%s\\n' \"$GREETING\" \"$(pwd)\" >&2; exit 7";
        return new ExecRequest(new Command.Argv(List.of("/bin/sh", "-c", script)), "stdin!".getBytes(StandardCharsets.UTF_8),
                Map.of("GREETING", "hi there"), "/tmp/w", SandboxPolicy.basic().withOutputLimitBytes(64), Duration.ofSeconds(120));
    }

    @Test
    void anAttestedExecVerifiesEndToEndWithOutputsBoundedInTheGuest() {
        TAMPER.set(UnaryOperator.identity());
        ExecResult result = backend.exec(launched(request()));

        assertThat(result.outcome()).as(result.detail()).isEqualTo(Outcome.COMPLETED);
        assertThat(result.exitCode()).isEqualTo(7);
        assertThat(result.stdoutText()).isEqualTo("x".repeat(64));
        assertThat(result.stdout().droppedBytes()).as("100 x and 6 bytes of stdin, 64 forwarded").isEqualTo(42);
        assertThat(result.stderrText()).isEqualTo("env=hi there pwd=/tmp/w\n");
        Attestation attestation = result.attestationOptional().orElseThrow();
        assertThat(attestation.verified()).isTrue();
        assertThat(attestation.checks()).filteredOn(c -> !c.passed()).isEmpty();
        assertThat(attestation.checks()).extracting(Attestation.Check::name)
                .contains("result.binding", "binding.report-data", "policy.host-data", "policy.measurement", "launch.measurement", "report.signature",
                        "ark.pinned");
        // The guest asked for exactly SHA-512 of the statement it returned.
        ResultStatement statement = ResultStatement.parse(new String(LAST.get().statement(), StandardCharsets.UTF_8));
        assertThat(host.requests()).last().isEqualTo(statement.reportData());
        assertThat(statement.get("stdout-dropped")).isEqualTo("42");
        assertThat(statement.get("exit")).isEqualTo("7");
    }

    @Test
    void theResultsEvidenceReverifiesOfflineAgainstTheSimulatedChainAndNeverAgainstAmdsRoots() throws Exception {
        TAMPER.set(UnaryOperator.identity());
        ExecRequest request = launched(request());
        String measurement = backend.expectedMeasurement(request).orElseThrow().hex();
        ExecResult result = backend.exec(request);
        Attestation attestation = result.attestationOptional().orElseThrow();
        assertThat(attestation.verified()).isTrue();
        // What kavach run --backend sev --json exports as attestation.claims.evidence.
        String evidence = attestation.claims().get("evidence");
        assertThat(evidence).as("the sev result carries its portable evidence").isNotNull().contains("kavach-sev-snp-evidence");
        Path file = Files.writeString(dir.resolve("evidence.json"), evidence);
        Path stdout = Files.write(dir.resolve("stdout.bin"), result.stdout().bytes());
        Path stderr = Files.write(dir.resolve("stderr.bin"), result.stderr().bytes());
        String[] args = {"verify", "--evidence", file.toString(), "--measurement", measurement, "--stdout", stdout.toString(),
                "--stderr", stderr.toString(), "--launched-policy", LAUNCHED.toHex(), "--at", "2026-06-01T00:00:00Z"};

        String[] simulated = attest(new AttestCommand(host.psp.anchors()), args);
        assertThat(simulated[0]).as(simulated[1]).isEqualTo("0");
        assertThat(simulated[1]).contains("PASS binding.report-data", "PASS binding.stdout", "PASS measurement.reference");

        Path otherStdout = Files.write(dir.resolve("stdout-other.bin"), "y".repeat(64).getBytes(StandardCharsets.UTF_8));
        String[] altered = args.clone();
        altered[6] = otherStdout.toString();
        String[] tampered = attest(new AttestCommand(host.psp.anchors()), altered);
        assertThat(tampered[0]).isEqualTo("1");
        assertThat(tampered[1]).contains("FAIL binding.stdout");

        String[] production = attest(new AttestCommand(), args);
        assertThat(production[0]).as("AMD's pinned roots must refuse the simulated chain").isEqualTo("1");
        assertThat(production[1]).contains("FAIL");
    }

    /** Runs {@code kavach attest ...}; returns the exit status and stdout plus stderr. */
    private static String[] attest(AttestCommand command, String... args) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        dev.kavach.api.BackendContext context = new dev.kavach.api.BackendContext("sev", BackendSettings.of("kavach.backends.sev",
                Map.of("attestation.cert-dir", dir.resolve("no-certs").toString(), "attestation.offline", "true")), dir.resolve("attest-state"), "0.1.0");
        java.io.PrintStream print = new java.io.PrintStream(out, true, StandardCharsets.UTF_8);
        int exit = command.run(List.of(args), context, print, print);
        return new String[] {Integer.toString(exit), out.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void aStdoutByteChangedOnTheWayIsCaughtAndTheResultRefused() {
        TAMPER.set(r -> {
            byte[] stdout = r.stdout();
            stdout[0] = 'y';
            return new ExecAttestor.GuestResult(r.statement(), r.report(), r.certificates(), stdout, r.stderr(), r.stdoutDropped(),
                    r.stderrDropped(), r.exit());
        });
        assertThatThrownBy(() -> backend.exec(launched(request())))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("the result is not trusted")
                .hasMessageContaining("stdout digest differs: the guest vouched for");
    }

    @Test
    void aResultReplayedFromAnEarlierExecIsRefused() {
        TAMPER.set(UnaryOperator.identity());
        backend.exec(launched(request()));
        ExecAttestor.GuestResult earlier = LAST.get();
        TAMPER.set(r -> earlier);
        assertThatThrownBy(() -> backend.exec(launched(request())))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("nonce differs");
    }

    @Test
    void aLaunchWhoseMeasurementIsNotThePinnedOneIsRefused() {
        TAMPER.set(UnaryOperator.identity());
        assertThatThrownBy(() -> wrongMeasurement.exec(launched(ExecRequest.of("true"))))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("policy.measurement");
    }

    @Test
    void aReportOfAnotherLaunchThanTheComputedOneIsRefusedByThePin() {
        TAMPER.set(UnaryOperator.identity());
        ExecRequest request = ExecRequest.of("true");
        byte[] other = backend.expectedMeasurement(request).orElseThrow().digest();
        other[0] ^= 1;
        host.launchMeasurement(other);
        assertThatThrownBy(() -> backend.exec(request))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("launch.measurement")
                .hasMessageContaining("Kavach computed for this launch");
    }
}
