package dev.kavach.backend.sev;

import dev.kavach.backend.sev.cli.SevCommand;
import dev.kavach.backend.sev.guest.GuestBoot;
import dev.kavach.backend.sev.guest.GuestImageBuilder;
import dev.kavach.backend.sev.qemu.Accel;
import dev.kavach.backend.sev.qemu.QemuArgs;
import dev.kavach.backend.sev.snp.ExecAttestor;
import dev.kavach.backend.sev.snp.SnpExecAttestor;
import dev.kavach.backend.sev.snp.SnpGuestPolicy;

import dev.kavach.api.Attestation;
import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendSettings;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.SandboxException;
import dev.kavach.attestation.snp.CertificateStore;
import dev.kavach.attestation.snp.SnpAttestationVerifier;
import dev.kavach.attestation.snp.TaskBinding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The {@code sev} exec path as far as a host without SEV-SNP can run it: the launch carries the job's
 * host data, QEMU parses everything and stops for the missing hardware, which becomes a SandboxException
 * quoting QEMU; the attestor binds report data to the task and refuses what it cannot verify.
 */
class SevBackendTest {
    private static final Path OVMF = Path.of("/usr/share/ovmf/OVMF.fd");

    private static SnpExecAttestor attestor(Path certs) {
        return new SnpExecAttestor("job-1", Map.of("policy", "0x30000"), new CertificateStore(certs, null), SnpAttestationVerifier.atSystemClock(), dev.kavach.attestation.snp.AppraisalPolicy.defaults());
    }

    @Test
    void hostDataBindsTheJobAndTheTask(@TempDir Path certs) {
        SnpExecAttestor attestor = attestor(certs);
        ExecRequest request = ExecRequest.of("echo", "hi");
        assertThat(attestor.hostData(request)).hasSize(32).isEqualTo(attestor.hostData(ExecRequest.of("echo", "hi")))
                .isNotEqualTo(attestor.hostData(ExecRequest.of("echo", "ho")));
    }

    @Test
    void aReportThatDoesNotParseIsNotVerifiedAndSaysWhy(@TempDir Path certs) {
        ExecRequest request = ExecRequest.of("true");
        byte[] nonce = TaskBinding.newNonce();
        byte[] statement = dev.kavach.attestation.snp.ResultBinding.expected(nonce, request, new byte[0], new byte[0], 0, 0, 0)
                .text().getBytes(StandardCharsets.UTF_8);
        Attestation attestation = attestor(certs).verify(request, nonce, new byte[32],
                new ExecAttestor.GuestResult(statement, new byte[100], new byte[0], new byte[0], new byte[0], 0, 0, 0));
        assertThat(attestation.verified()).isFalse();
        assertThat(attestation.checks()).filteredOn(check -> !check.passed()).singleElement().satisfies(check -> {
            assertThat(check.name()).isEqualTo("report.parse");
            assertThat(check.detail()).isNotBlank();
        });
    }

    @Test
    void withoutSnpHardwareTheLaunchStopsAtQemuWithItsReasonQuoted(@TempDir Path certs) throws Exception {
        VmPrerequisites.qemu();
        VmPrerequisites.require(Files.isRegularFile(OVMF), OVMF + " (apt-get install ovmf)");
        VmPrerequisites.GuestKernel kernel = VmPrerequisites.kernel();
        VmPrerequisites.require(!Files.exists(Path.of("/dev/sev")), "a host WITHOUT /dev/sev for this negative test");
        Path initrd = GuestImageBuilder.build(VmPrerequisites.busybox(), kernel.modules(), GuestSetup.wantedModules(true),
                VmPrerequisites.stateDir().resolve("images"), null).initrd();
        VmSettings settings = VmSettings.from(BackendSettings.of("kavach.backends.sev", Map.of("kernel", kernel.kernel().toString())), true);
        // Debian's generic OVMF has no kernel-hashes section, so a measured direct boot is refused before QEMU starts
        // (LaunchMeasurementDriftTest); without kernel hashes it measures, and QEMU gets to parse everything.
        VmBackend.Snp snp = new VmBackend.Snp(SnpGuestPolicy.hardened(true), 51, 1, OVMF, Path.of("/dev/sev"), false, attestor(certs));
        try (VmBackend backend = new VmBackend("sev", settings, Accel.TCG, new GuestBoot(kernel.kernel(), initrd, GuestBoot.BASE_APPEND),
                Optional.of(snp), Path.of("/tmp"))) {
            ExecRequest request = ExecRequest.of("true");
            QemuArgs args = new QemuArgs(backend.commandLine(request).orElseThrow());
            assertThat(args.optionList("-object", "sev-snp-guest").orElseThrow())
                    .contains("host-data=" + Base64.getEncoder().encodeToString(snp.attestor().hostData(request)));
            assertThatThrownBy(() -> backend.exec(request))
                    .isInstanceOf(SandboxException.class)
                    .hasMessageContaining("never booted")
                    .hasMessageContaining("KVM required")
                    .satisfies(e -> assertThat(((SandboxException) e).fix()).contains("AmdSev OVMF"));
        }
    }

    @Test
    void dryRunCommandPrintsTheSnpCommandLineOnAHostWithoutSnp(@TempDir Path state) {
        VmPrerequisites.busybox();
        VmPrerequisites.GuestKernel kernel = VmPrerequisites.kernel();
        BackendSettings settings = BackendSettings.of("kavach.backends.sev", Map.of("kernel", kernel.kernel().toString(), "cbitpos", "51",
                "policy", "0x30000", "firmware", "/fw/OVMF.amdsev.fd"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new SevCommand().run(List.of("dry-run", "--memory", "1024", "--", "echo", "a,b"), new BackendContext("sev", settings, state, "0.1.0"),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        QemuArgs args = new QemuArgs(out.toString(StandardCharsets.UTF_8).lines().toList());
        assertThat(args.value("-m")).contains("1024M");
        assertThat(args.value("-bios")).contains("/fw/OVMF.amdsev.fd");
        assertThat(args.value("-kernel")).contains(kernel.kernel().toString());
        assertThat(args.optionList("-object", "sev-snp-guest").orElseThrow()).contains("policy=0x30000", "cbitpos=51", "kernel-hashes=on", "host-data=");
        // Production launches offer the guest no report path but the SEV firmware's: no simulated PSP port.
        assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain(SimulatedSnpHost.PSP_PORT);
    }

    @Test
    void theProviderAnswersADryRunWhereTheBackendIsUnavailable(@TempDir Path state) {
        VmPrerequisites.busybox();
        VmPrerequisites.GuestKernel kernel = VmPrerequisites.kernel();
        VmPrerequisites.require(!Files.exists(Path.of("/dev/sev")), "a host WITHOUT /dev/sev for this test");
        BackendContext context = new BackendContext("sev", BackendSettings.of("kavach.backends.sev", Map.of("kernel", kernel.kernel().toString(),
                "cbitpos", "51", "firmware", "/fw/OVMF.amdsev.fd")), state, "0.1.0");
        SevBackendProvider provider = new SevBackendProvider();
        assertThat(provider.probe(context).available()).isFalse();
        ExecRequest request = ExecRequest.of("echo", "a,b").withEnv("SECRET", "s3cret");
        QemuArgs args = new QemuArgs(provider.commandLine(context, request).orElseThrow());
        assertThat(args.value("-bios")).contains("/fw/OVMF.amdsev.fd");
        assertThat(args.optionList("-object", "sev-snp-guest").orElseThrow()).contains("cbitpos=51", "kernel-hashes=on");
        // The task travels to the guest, never on QEMU's command line.
        assertThat(String.join(" ", provider.commandLine(context, request).orElseThrow())).doesNotContain("s3cret").doesNotContain("a,b");
    }
}
