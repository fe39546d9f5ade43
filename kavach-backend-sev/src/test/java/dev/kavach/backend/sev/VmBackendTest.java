package dev.kavach.backend.sev;

import dev.kavach.backend.sev.qemu.QemuArgs;

import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendSettings;
import dev.kavach.api.BackendUnavailableException;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.SandboxBackend;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.api.SandboxStateException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The backend without booting: what {@code --dry-run} prints, lifecycle, and refusing to start without its prerequisites. */
class VmBackendTest {
    @Test
    void dryRunPrintsTheExactQemuCommandWithTheTaskKeptOutOfIt() {
        VmPrerequisites.qemu();
        VmPrerequisites.GuestKernel kernel = VmPrerequisites.kernel();
        BackendSettings settings = BackendSettings.of("kavach.backends.vm", Map.of("kernel", kernel.kernel().toString(), "accel", "tcg"));
        try (SandboxBackend backend = new VmBackendProvider().create(new BackendContext("vm", settings, VmPrerequisites.stateDir(), "0.1.0"))) {
            ExecRequest request = ExecRequest.of("printenv", "SECRET_TOKEN").withEnv("SECRET_TOKEN", "hunter2").withWorkdir("/srv/job,id=7")
                    .withPolicy(SandboxPolicy.strict().withCpus(1.5));
            List<String> argv = backend.commandLine(request).orElseThrow();
            QemuArgs args = new QemuArgs(argv);
            assertThat(argv.get(0)).isEqualTo("qemu-system-x86_64");
            assertThat(args.value("-smp")).contains("2");
            assertThat(args.value("-m")).contains("512M");
            assertThat(args.value("-accel")).contains("tcg");
            // Under TCG the cached vmlinux boots (PVH); the initrd is the image Kavach built.
            assertThat(args.value("-kernel").orElseThrow()).contains("kernels/vmlinux-");
            assertThat(args.value("-initrd").orElseThrow()).contains("images/initrd-");
            assertThat(String.join(" ", argv)).doesNotContain("hunter2", "SECRET_TOKEN", "printenv", "/srv/job");
            assertThatThrownBy(() -> backend.exec(ExecRequest.of("cat").withPolicy(SandboxPolicy.basic().withMemoryMiB(128))
                    .withStdin(new byte[33 * 1024 * 1024]))) // a quarter of 128 MiB is 32 MiB
                    .isInstanceOf(dev.kavach.api.PolicyNotEnforceableException.class)
                    .hasMessageContaining("stages in guest memory");
            backend.close();
            assertThatThrownBy(() -> backend.exec(request)).isInstanceOf(SandboxStateException.class);
        }
    }

    @Test
    void createRefusesAHostThatLacksAPrerequisiteListingTheFix(@TempDir Path state) {
        BackendSettings settings = BackendSettings.of("kavach.backends.vm", Map.of("kernel", state.resolve("missing").toString()));
        assertThatThrownBy(() -> new VmBackendProvider().create(new BackendContext("vm", settings, state, "0.1.0")))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("kernel")
                .hasMessageContaining("not a readable file");
    }

    @Test
    void providersDescribeThemselves() {
        assertThat(new VmBackendProvider().info().strength()).isEqualTo(300);
        assertThat(new SevBackendProvider().info().strength()).isEqualTo(500);
        assertThat(new SevBackendProvider().info().isolation()).isEqualTo(dev.kavach.api.IsolationKind.CONFIDENTIAL_VM);
        assertThat(new VmBackendProvider().info().isolation()).isEqualTo(dev.kavach.api.IsolationKind.VM);
    }
}
