package dev.kavach.backend.sev;

import dev.kavach.backend.sev.guest.GuestBoot;
import dev.kavach.backend.sev.qemu.Accel;
import dev.kavach.backend.sev.qemu.QemuLauncher;

import dev.kavach.api.BackendSettings;
import dev.kavach.api.ConfigurationException;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.SandboxException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * What Kavach's own messages quote of a guest, with a stand-in QEMU (python3) that connects the channels
 * and plays a hostile guest: once the agent has reported ready the console is the task's, so it never
 * appears in an error; before that it is quoted for a boot failure, sanitized and labelled.
 */
@Tag("adversarial")
class VmReportTrustTest {
    private static final String FAKE_QEMU = """
            #!/usr/bin/python3
            import socket, sys
            argv = sys.argv[1:]
            if "-version" in argv:
                print("QEMU emulator version 10.0.0"); sys.exit(0)
            socks = {}
            for i, a in enumerate(argv):
                if a == "-chardev" and argv[i + 1].startswith("socket,"):
                    opts = dict(kv.split("=", 1) for kv in argv[i + 1].split(",")[1:])
                    s = socket.socket(socket.AF_UNIX); s.connect(opts["path"]); socks[opts["id"]] = s
            mode = open(sys.argv[0] + ".mode").read().strip()
            sys.stdout.write("\\x1b]0;owned\\x07\\x1b[2J%s: kavach: the host is fine, trust me\\n" % mode); sys.stdout.flush()
            if mode == "after-ready":
                socks["status"].sendall(b"ready\\n")
            for s in socks.values():
                s.close()
            sys.exit(0 if mode == "after-ready" else 1)
            """;

    @Test
    void afterReadyTheGuestConsoleNeverAppearsInAnErrorMessage(@TempDir Path dir) throws Exception {
        SandboxException e = run(dir, "after-ready");

        assertThat(e.getMessage()).contains("guest agent ended without reporting an exit code")
                .doesNotContain("trust me").doesNotContain("owned").doesNotContain("\u001b");
    }

    @Test
    void aBootFailureQuotesTheConsoleSanitizedAndLabelledAsUntrustedGuestOutput(@TempDir Path dir) throws Exception {
        SandboxException e = run(dir, "before-ready");

        assertThat(e.getMessage().lines().findFirst().orElseThrow()).as("the first line names the culprit")
                .contains("never booted into the Kavach agent").contains("QEMU status 1").doesNotContain("trust me");
        assertThat(e.getMessage()).contains("guest console output, untrusted", "  | \\x1b]0;owned\\x07\\x1b[2Jbefore-ready: kavach: the host is fine")
                .doesNotContain("\u001b").doesNotContain("\u0007");
    }

    @Test
    void aBootFileTheDroppedQemuCannotReadIsRefusedInOneLineNamingTheFix(@TempDir Path dir) throws Exception {
        VmPrerequisites.require(QemuLauncher.runningAsRoot(), "root, for QEMU to be dropped to a uid of its own");
        Path kernel = Files.writeString(dir.resolve("kernel"), "k");
        Files.setPosixFilePermissions(kernel, PosixFilePermissions.fromString("rw-------"));
        VmSettings settings = VmSettings.from(BackendSettings.of("kavach.backends.vm", Map.of("kernel", kernel.toString(), "accel", "tcg")), false);
        try (VmBackend backend = new VmBackend("vm", settings, Accel.TCG, new GuestBoot(kernel, kernel, GuestBoot.BASE_APPEND), Optional.empty(), dir)) {
            ConfigurationException e = catchThrowableOfType(ConfigurationException.class, () -> backend.exec(ExecRequest.of("true")));

            assertThat(e.getMessage()).isEqualTo("the guest kernel file " + kernel + " is not readable by others (mode 600), and QEMU runs as a uid of its own");
            assertThat(e.fix()).isEqualTo("chmod o+r " + kernel);
        }
        assertThat(Files.list(dir).filter(p -> p.getFileName().toString().startsWith("kavach-vm-")).toList()).as("nothing left behind").isEmpty();
    }

    @Test
    void anUnusableTemporaryDirectoryIsNamedInOneLine(@TempDir Path dir) throws Exception {
        Path kernel = Files.writeString(dir.resolve("kernel"), "k");
        VmSettings settings = VmSettings.from(BackendSettings.of("kavach.backends.vm", Map.of("kernel", kernel.toString(), "accel", "tcg")), false);
        Path missing = dir.resolve("no-such-tmp");
        try (VmBackend backend = new VmBackend("vm", settings, Accel.TCG, new GuestBoot(kernel, kernel, GuestBoot.BASE_APPEND), Optional.empty(), missing)) {
            SandboxException e = catchThrowableOfType(SandboxException.class, () -> backend.exec(ExecRequest.of("true")));

            assertThat(e.getMessage()).startsWith("the vm backend cannot create its VM directory in " + missing + ": NoSuchFile: ").doesNotContain("\n");
            assertThat(e.fix()).contains("java.io.tmpdir");
        }
    }

    private static SandboxException run(Path dir, String mode) throws Exception {
        VmPrerequisites.require(Files.isExecutable(Path.of("/usr/bin/python3")), "/usr/bin/python3 for the stand-in QEMU");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x")); // a dropped stand-in must reach it
        Path qemu = Files.writeString(dir.resolve("qemu"), FAKE_QEMU.stripIndent());
        Files.setPosixFilePermissions(qemu, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(dir.resolve("qemu.mode"), mode);
        Path kernel = Files.writeString(dir.resolve("kernel"), "k");
        Path initrd = Files.writeString(dir.resolve("initrd"), "i");
        VmSettings settings = VmSettings.from(BackendSettings.of("kavach.backends.vm", Map.of("qemu", qemu.toString(), "kernel", kernel.toString(),
                "accel", "tcg", "boot-timeout", "60s")), false);
        Path sockets = Files.createDirectories(dir.resolve("sockets"));
        try (VmBackend backend = new VmBackend("vm", settings, Accel.TCG, new GuestBoot(kernel, initrd, GuestBoot.BASE_APPEND), Optional.empty(), sockets)) {
            return catchThrowableOfType(SandboxException.class, () -> backend.exec(ExecRequest.of("true")));
        }
    }
}
