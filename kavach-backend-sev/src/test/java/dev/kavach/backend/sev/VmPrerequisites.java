package dev.kavach.backend.sev;

import dev.kavach.backend.sev.qemu.QemuBinary;

import dev.kavach.attestation.snp.Prerequisites;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * What the VM tests need from the host: QEMU, busybox-static and a guest kernel (written by
 * {@code .ci/guest-kernel.sh} into {@code $KAVACH_GUEST_KERNEL_DIR}, default /var/cache/kavach/guest-kernel).
 * Missing pieces skip a test, except under CI ({@code CI} set), where they fail it.
 */
public final class VmPrerequisites {
    public static final Path DEFAULT_KERNEL_DIR = Path.of("/var/cache/kavach/guest-kernel");
    /** Debian's 6.12 kernel, the one a sev guest needs (configfs-tsm): {@code .ci/guest-kernel.sh DIR 6.12}. */
    public static final Path DEFAULT_KERNEL_612_DIR = Path.of("/var/cache/kavach/guest-kernel-6.12");

    /** A guest kernel and its module tree. */
    public record GuestKernel(Path kernel, Path modules) {
    }

    private VmPrerequisites() {
    }

    public static void require(boolean present, String whatIsMissingAndHowToGetIt) {
        Prerequisites.require(present, whatIsMissingAndHowToGetIt);
    }

    public static Path qemu() {
        Optional<Path> qemu = QemuBinary.locate("qemu-system-x86_64");
        require(qemu.isPresent(), "qemu-system-x86_64 (apt-get install -t bookworm-backports qemu-system-x86)");
        return qemu.get();
    }

    public static Path busybox() {
        Path busybox = Path.of("/bin/busybox");
        require(Files.isRegularFile(busybox), "/bin/busybox (apt-get install busybox-static)");
        return busybox;
    }

    public static GuestKernel kernel() {
        String env = System.getenv("KAVACH_GUEST_KERNEL_DIR");
        return kernelIn(env == null || env.isBlank() ? DEFAULT_KERNEL_DIR : Path.of(env), "");
    }

    /** The 6.12 guest kernel (TSM reports, sev-guest, .ko.xz modules). */
    public static GuestKernel kernel612() {
        String env = System.getenv("KAVACH_GUEST_KERNEL_612_DIR");
        return kernelIn(env == null || env.isBlank() ? DEFAULT_KERNEL_612_DIR : Path.of(env), " 6.12");
    }

    private static GuestKernel kernelIn(Path dir, String series) {
        Path file = dir.resolve("kernel.env");
        require(Files.isRegularFile(file), "a guest kernel in " + dir + " (run .ci/guest-kernel.sh " + dir + series + ")");
        Properties props = new Properties();
        try (var in = Files.newBufferedReader(file)) {
            props.load(in);
        } catch (IOException e) {
            fail("cannot read " + file + ": " + e.getMessage());
        }
        Path kernel = Path.of(props.getProperty("KAVACH_GUEST_KERNEL", ""));
        Path modules = Path.of(props.getProperty("KAVACH_GUEST_MODULES", ""));
        require(Files.isRegularFile(kernel) && Files.isDirectory(modules), "kernel and modules listed in " + file + " (rerun .ci/guest-kernel.sh)");
        return new GuestKernel(kernel, modules);
    }

    /** Settings of a {@code vm} backend under TCG with the CI guest kernel; skips (or fails under CI) when something is missing. */
    public static dev.kavach.api.BackendSettings tcgSettings() {
        qemu();
        busybox();
        GuestKernel kernel = kernel();
        return dev.kavach.api.BackendSettings.of("kavach.backends.vm", java.util.Map.of(
                "kernel", kernel.kernel().toString(), "modules", kernel.modules().toString(), "accel", "tcg", "boot-timeout", "180s"));
    }

    /** A started {@code vm} backend under TCG, for the tests that boot guests. */
    public static dev.kavach.api.SandboxBackend tcgBackend() {
        dev.kavach.api.SandboxBackend backend = new VmBackendProvider().create(new dev.kavach.api.BackendContext("vm", tcgSettings(), stateDir(), "0.1.0"));
        backend.start();
        return backend;
    }

    /** A state directory kept across test runs, so the vmlinux and the agent image are built once. */
    public static Path stateDir() {
        return Path.of("target", "kavach-test-state").toAbsolutePath();
    }
}
