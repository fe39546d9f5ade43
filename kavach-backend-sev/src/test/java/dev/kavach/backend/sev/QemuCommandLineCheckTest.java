package dev.kavach.backend.sev;

import dev.kavach.backend.sev.guest.GuestBoot;
import dev.kavach.backend.sev.guest.VmChannels;
import dev.kavach.backend.sev.qemu.Accel;
import dev.kavach.backend.sev.qemu.QemuArgs;
import dev.kavach.backend.sev.qemu.QemuBinary;
import dev.kavach.backend.sev.snp.SnpGuestPolicy;
import dev.kavach.backend.sev.snp.SnpLaunch;

import dev.kavach.api.SandboxPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The generated SNP command line checked against the real QEMU (10.0 from bookworm-backports), no SNP hardware needed. */
class QemuCommandLineCheckTest {
    private static final Set<String> INHERITED = Set.of("id", "cbitpos", "reduced-phys-bits");

    @Test
    void everySevSnpGuestAndMachinePropertyWeEmitIsInQemusOwnHelp() {
        Path qemu = VmPrerequisites.qemu();
        QemuArgs args = snpArgs(Path.of("/k/vmlinuz"), Path.of("/k/initrd"), Path.of("/fw/OVMF.fd"), VmChannels.in(Path.of("/tmp/c")));
        String snpHelp = QemuBinary.output(List.of(qemu.toString(), "-object", "sev-snp-guest,help")).orElseThrow();
        String machineHelp = QemuBinary.output(List.of(qemu.toString(), "-machine", "q35,help")).orElseThrow();

        List<String> snpProperties = properties(args.optionList("-object", "sev-snp-guest").orElseThrow());
        assertThat(snpProperties).contains("policy", "kernel-hashes", "host-data", "sev-device");
        for (String property : snpProperties) {
            if (!INHERITED.contains(property)) {
                assertThat(snpHelp).as("sev-snp-guest,help lists " + property).containsPattern("(?m)^\\s+" + property + "=");
            }
        }
        List<String> machineProperties = properties(args.value("-machine").orElseThrow());
        assertThat(machineProperties).contains("confidential-guest-support", "memory-backend");
        for (String property : machineProperties) {
            assertThat(machineHelp).as("q35,help lists " + property).containsPattern("(?m)^\\s+" + property + "=");
        }
    }

    @Test
    void qemuParsesTheWholeSnpCommandLineAndStopsOnlyForTheMissingHardware(@TempDir Path dir) throws Exception {
        Path qemu = VmPrerequisites.qemu();
        // Paths with ',' and '=' everywhere a path can go: escaping must keep QEMU from seeing extra options.
        Path tricky = Files.createDirectories(dir.resolve("a,b=c"));
        Path kernel = Files.writeString(tricky.resolve("vmlinuz"), "not a kernel");
        Path initrd = Files.writeString(tricky.resolve("initrd"), "");
        Path firmware = Path.of("/usr/share/ovmf/OVMF.fd");
        VmPrerequisites.require(Files.isRegularFile(firmware), "an OVMF image at " + firmware + " (apt-get install ovmf)");
        Path sockets = Files.createDirectories(Path.of("/tmp").resolve("kq," + ProcessHandle.current().pid() + "=x"));
        VmChannels channels = VmChannels.in(sockets);
        List<ServerSocketChannel> servers = new ArrayList<>();
        try {
            for (Path path : List.of(channels.qmp(), channels.task(), channels.stdout(), channels.stderr(), channels.status())) {
                ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                server.bind(UnixDomainSocketAddress.of(path));
                servers.add(server);
            }
            List<String> argv = new ArrayList<>(snpArgs(kernel, initrd, firmware, channels).argv());
            argv.set(0, qemu.toString());
            Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes());
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

            assertThat(process.exitValue()).isNotZero();
            assertThat(output).as("QEMU's complaint").containsAnyOf("KVM required", "not supported by KVM", "/dev/sev", "/dev/kvm");
            assertThat(output).doesNotContain("Invalid parameter", "does not accept value", "Property", "invalid", "Could not open '");
        } finally {
            for (ServerSocketChannel server : servers) {
                server.close();
            }
            try (var files = Files.list(sockets)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(sockets);
        }
    }

    @Test
    void aMisspeltPropertyIsWhatQemuWouldRejectSoTheCheckAboveHasTeeth() {
        Path qemu = VmPrerequisites.qemu();
        String output = QemuBinary.output(List.of(qemu.toString(), "-accel", "tcg", "-nodefaults", "-display", "none",
                "-object", "sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,polcy=0x30000")).orElseThrow();
        assertThat(output).contains("Invalid parameter 'polcy'");
    }

    private static QemuArgs snpArgs(Path kernel, Path initrd, Path firmware, VmChannels channels) {
        VmSettings settings = TranslatorFixtures.settings(true, Map.of("kernel", kernel.toString()));
        Optional<SnpLaunch> launch = Optional.of(new SnpLaunch(SnpGuestPolicy.hardened(true), 51, 1, TranslatorFixtures.HOST_DATA, firmware,
                Path.of("/dev/sev"), true));
        // TCG: QEMU parses everything, then needs KVM for SNP's private memory and stops there.
        return QemuTranslator.translate(SandboxPolicy.basic(), settings, Accel.TCG, new GuestBoot(kernel, initrd, GuestBoot.BASE_APPEND), channels, launch);
    }

    private static List<String> properties(String optionList) {
        List<String> names = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        String[] parts = optionList.replace(",,", "\u0000").split(",");
        for (int i = 1; i < parts.length; i++) {
            String name = parts[i].split("=", 2)[0];
            if (seen.add(name)) {
                names.add(name);
            }
        }
        return names;
    }
}
