package dev.kavach.backend.sev.cli;

import dev.kavach.backend.sev.VmPrerequisites;
import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code kavach sev fetch-kernel}: picks the newest package of the series, downloads it with apt-get and
 * unpacks it with the real dpkg-deb (apt-cache and apt-get are stand-ins here, so no registry is needed).
 */
class FetchKernelCommandTest {
    private static final String LISTING = """
            linux-image-6.12.9+deb12-amd64 - Linux 6.12 for 64-bit PCs (signed)
            linux-image-6.12.43+deb12-amd64 - Linux 6.12 for 64-bit PCs (signed)
            linux-image-6.12.43+deb12-amd64-unsigned - Linux 6.12 for 64-bit PCs
            linux-image-6.12.43+deb12-cloud-amd64 - Linux 6.12 for x86-64 cloud (signed)
            linux-image-6.1.0-9-amd64 - Linux 6.1 for 64-bit PCs (signed)
            linux-image-6.1.0-41-amd64 - Linux 6.1 for 64-bit PCs (signed)
            """;

    @Test
    void theNewestGenericPackageOfTheSeriesIsChosen() {
        assertThat(FetchKernelCommand.newest(FetchKernelCommand.Series.V6_12, LISTING)).contains("linux-image-6.12.43+deb12-amd64");
        assertThat(FetchKernelCommand.newest(FetchKernelCommand.Series.V6_1, LISTING)).contains("linux-image-6.1.0-41-amd64");
        assertThat(FetchKernelCommand.newest(FetchKernelCommand.Series.V6_12, "")).isEmpty();
    }

    @Test
    void fetchesUnpacksAndPrintsThePathsQuietlyThenFindsThemAgain(@TempDir Path dir) throws Exception {
        VmPrerequisites.require(Files.isExecutable(Path.of("/usr/bin/dpkg-deb")), "/usr/bin/dpkg-deb (Debian's dpkg)");
        Path bin = tools(dir, "linux-image-6.12.43+deb12-amd64");
        Path target = dir.resolve("kernel");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new FetchKernelCommand(bin).run(List.of("--dir", target.toString(), "--quiet"), context(dir), print(out), print(err));
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        Path kernel = target.resolve("root/boot/vmlinuz-6.12.43+deb12-amd64");
        Path modules = target.resolve("root/lib/modules/6.12.43+deb12-amd64");
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("KAVACH_GUEST_KERNEL=" + kernel + "\nKAVACH_GUEST_MODULES=" + modules + "\n");
        assertThat(err.toString(StandardCharsets.UTF_8)).as("quiet off a terminal").isEmpty();
        assertThat(Files.readString(kernel)).isEqualTo("bzImage");
        assertThat(Files.readString(target.resolve("kernel.env"))).isEqualTo(out.toString(StandardCharsets.UTF_8));
        assertThat(Files.readString(dir.resolve("apt-get.log"))).isEqualTo("-q download linux-image-6.12.43+deb12-amd64\n");
        try (var leftovers = Files.list(target)) {
            assertThat(leftovers.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("root", "kernel.env");
        }

        // A second run finds the unpacked kernel and downloads nothing; progress is shown when asked for.
        Files.delete(dir.resolve("apt-get.log"));
        out.reset();
        FetchKernelCommand fetch = new FetchKernelCommand(bin);
        FetchKernelCommand.KernelFiles again = fetch.fetch(FetchKernelCommand.Series.V6_12, target, print(err));
        assertThat(again).isEqualTo(new FetchKernelCommand.KernelFiles(kernel, modules));
        assertThat(dir.resolve("apt-get.log")).doesNotExist();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("fetch-kernel: already unpacked in " + target);
    }

    @Test
    void aFailedDownloadSaysWhatFailedAndAnUnknownSeriesIsRefused(@TempDir Path dir) throws Exception {
        Path bin = tools(dir, null);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new FetchKernelCommand(bin).run(List.of("--dir", dir.resolve("k").toString()), context(dir), print(new ByteArrayOutputStream()), print(err));
        assertThat(code).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("kavach sev fetch-kernel: apt-get download linux-image-6.12.43+deb12-amd64 failed")
                .contains("E: unable to locate");
        err.reset();
        assertThat(new FetchKernelCommand(bin).run(List.of("--series", "5.10"), context(dir), print(new ByteArrayOutputStream()), print(err))).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown series '5.10': use 6.12 (sev) or 6.1 (vm)");
    }

    /** apt-cache and apt-get stand-ins (apt-get copies a real .deb built here, or fails when {@code pkg} is null) and dpkg-deb. */
    private static Path tools(Path dir, String pkg) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path deb = dir.resolve("kernel.deb");
        if (pkg != null) {
            String release = pkg.substring("linux-image-".length());
            Path tree = dir.resolve("tree");
            Files.createDirectories(tree.resolve("DEBIAN"));
            Files.writeString(tree.resolve("DEBIAN/control"), "Package: " + pkg.replace("+", "-") + "\nVersion: 1\nArchitecture: amd64\n"
                    + "Maintainer: test <test@example.invalid>\nDescription: test kernel\n");
            Files.createDirectories(tree.resolve("boot"));
            Files.writeString(tree.resolve("boot/vmlinuz-" + release), "bzImage");
            Files.createDirectories(tree.resolve("lib/modules/" + release));
            Files.writeString(tree.resolve("lib/modules/" + release + "/modules.order"), "kernel/fs/configfs/configfs.ko\n");
            Process build = new ProcessBuilder("/usr/bin/dpkg-deb", "--build", "--root-owner-group", tree.toString(), deb.toString())
                    .redirectErrorStream(true).start();
            String buildOutput = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(build.waitFor()).as(buildOutput).isZero();
        }
        script(bin.resolve("apt-cache"), "printf '%s' '" + LISTING + "'");
        String last = "for a in \"$@\"; do last=$a; done; ";
        script(bin.resolve("apt-get"), last + (pkg == null ? "echo \"E: unable to locate package $last\" >&2; exit 100"
                : "echo \"$*\" >> '" + dir.resolve("apt-get.log") + "'; cp '" + deb + "' \"./${last}_1_amd64.deb\""));
        script(bin.resolve("dpkg-deb"), "exec /usr/bin/dpkg-deb \"$@\"");
        return bin;
    }

    private static void script(Path file, String body) throws Exception {
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static BackendContext context(Path state) {
        return new BackendContext("sev", BackendSettings.of("kavach.backends.sev", Map.of()), state, "0.1.0");
    }

    private static PrintStream print(ByteArrayOutputStream out) {
        return new PrintStream(out, true, StandardCharsets.UTF_8);
    }
}
