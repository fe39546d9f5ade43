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
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.FileInput;
import dev.kavach.api.OutputListener;
import dev.kavach.api.SandboxException;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.attestation.snp.AppraisalPolicy;
import dev.kavach.attestation.snp.CertificateStore;
import dev.kavach.attestation.snp.ResultBinding;
import dev.kavach.attestation.snp.SimulatedPsp;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A {@code sev} session under TCG with the test-only simulated PSP ({@link SimulatedSnpHost}): every exec in the
 * session is attested with a fresh nonce (REPORT_DATA binds the guest's statement, which carries it), the
 * session's HOST_DATA binds the session, and the session's evidence lists each exec and each file transfer.
 */
@Tag("slow")
class SimulatedSevSessionTest {
    @TempDir
    static Path dir;

    @Test
    void everyExecInASessionIsAttestedWithItsOwnNonceAndTheEvidenceListsExecsAndTransfers() throws Exception {
        VmPrerequisites.qemu();
        Path busybox = VmPrerequisites.busybox();
        VmPrerequisites.GuestKernel kernel = VmPrerequisites.kernel();
        VmPrerequisites.require(Files.isExecutable(Path.of("/bin/bash")), "/bin/bash for the test's QEMU wrapper");
        SnpGuestPolicy launched = SnpGuestPolicy.hardened(false);
        try (SimulatedSnpHost host = new SimulatedSnpHost(dir, new SimulatedPsp())) {
            Path certs = dir.resolve("certs");
            host.psp.installCertificates(certs);
            Path initrd = GuestImageBuilder.build(busybox, kernel.modules(), GuestSetup.wantedModules(true), dir.resolve("images"), null,
                    Map.of("kavach/attest", SimulatedSnpHost.testAttestScript())).initrd();
            Path vmlinux = VmlinuxExtractor.extract(kernel.kernel(), VmPrerequisites.stateDir().resolve("kernels"));
            VmSettings settings = VmSettings.from(BackendSettings.of("kavach.backends.sev", Map.of("kernel", kernel.kernel().toString(),
                    "qemu", host.qemuWrapper.toString(), "boot-timeout", "240s")), true);
            ExecAttestor attestor = new SnpExecAttestor("job-session", Map.of("policy", launched.toHex()), new CertificateStore(certs, null),
                    host.psp.verifier(), AppraisalPolicy.defaults());
            VmBackend.Snp snp = new VmBackend.Snp(launched, 51, 1, OvmfKernelHashesProbeTest.suffix(dir, "ovmf_AmdSev_suffix.bin"),
                    Path.of("/dev/sev"), true, attestor);
            SandboxPolicy policy = SandboxPolicy.basic();
            try (VmBackend backend = new VmBackend("sev", settings, Accel.TCG, new GuestBoot(vmlinux, initrd, GuestBoot.BASE_APPEND), Optional.of(snp), dir);
                 VmSession session = backend.openSession(policy, Duration.ofSeconds(20))) {
                // The PSP measures what booted: the launch the backend computed for this session guest.
                host.launchMeasurement(session.expectedMeasurement().orElseThrow().digest());

                ExecResult first = session.exec(ExecRequest.builder("/bin/sh", "-c", "echo one > state; echo first")
                        .policy(policy).build(), OutputListener.NONE);
                session.put(FileInput.of("in.txt", "payload".getBytes(StandardCharsets.UTF_8)));
                ExecResult second = session.exec(ExecRequest.builder("/bin/sh", "-c", "cat state in.txt").policy(policy).build(), OutputListener.NONE);
                try (InputStream in = session.get("state")) {
                    assertThat(in.readAllBytes()).isEqualTo("one\n".getBytes(StandardCharsets.UTF_8));
                }

                assertThat(first.stdoutText()).isEqualTo("first\n");
                assertThat(second.stdoutText()).isEqualTo("one\npayload");
                Attestation a1 = first.attestationOptional().orElseThrow();
                Attestation a2 = second.attestationOptional().orElseThrow();
                assertThat(a1.verified()).as(a1.checks().toString()).isTrue();
                assertThat(a2.verified()).as(a2.checks().toString()).isTrue();
                List<byte[]> reportData = host.requests();
                assertThat(reportData).as("one report per exec").hasSize(2);
                assertThat(reportData.get(0)).isNotEqualTo(reportData.get(1));

                List<SessionEvidence.Entry> evidence = session.evidence();
                assertThat(evidence).extracting(SessionEvidence.Entry::kind).containsExactly("exec", "put", "exec", "get");
                assertThat(evidence.get(0).nonce()).isPresent();
                assertThat(evidence.get(2).nonce()).isPresent().isNotEqualTo(evidence.get(0).nonce());
                assertThat(evidence.get(0).attestation()).contains(a1);
                assertThat(evidence.get(1).path()).isEqualTo("in.txt");
                assertThat(evidence.get(1).size()).isEqualTo(7);
                assertThat(evidence.get(1).sha256()).isEqualTo(sha256("payload"));
                assertThat(evidence.get(3).path()).isEqualTo("state");
                assertThat(evidence.get(3).sha256()).isEqualTo(sha256("one\n"));
                assertThat(evidence.get(2).path()).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                        .digest(ResultBinding.argvFile(List.of("/bin/sh", "-c", "cat state in.txt")))));

                Attestation whole = session.attestation().orElseThrow();
                assertThat(whole.format()).isEqualTo("sev-snp-session");
                assertThat(whole.verified()).as(whole.checks().toString()).isTrue();
                assertThat(whole.claims()).containsOnlyKeys("event.0", "event.1", "event.2", "event.3");
                assertThat(whole.claims().get("event.1")).isEqualTo("put path=in.txt size=7 sha256=" + sha256("payload"));

                // A report from another guest (a different measurement) is refused, exec by exec.
                host.launchMeasurement(new byte[48]);
                assertThatThrownBy(() -> session.exec(ExecRequest.builder("true").policy(policy).build(), OutputListener.NONE))
                        .isInstanceOf(SandboxException.class).hasMessageContaining("not trusted");
                Attestation spoiled = session.attestation().orElseThrow();
                assertThat(spoiled.verified()).as("the refused exec is in the evidence and spoils it").isFalse();
                assertThat(spoiled.claims()).containsKey("event.4");
            }
        }
    }

    private static String sha256(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }
}
