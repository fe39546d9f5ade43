package dev.kavach.backend.sev.qemu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * Whether KVM really runs a guest on this host, found by running one: opening {@code /dev/kvm} proves
 * nothing (nested hosts abort at vCPU setup with {@code kvm_buf_set_msrs: Assertion ... failed}). The
 * guest is five bytes of firmware at the x86 reset vector ({@code mov al, 0x31; out 0xf4, al; hlt}) that
 * write to QEMU's {@code isa-debug-exit} port, after which QEMU exits with status {@code (0x31 << 1) | 1 = 99}.
 * Only that status means guest code ran. The answer is cached in the state directory, keyed by what it
 * depends on: the host kernel release, the QEMU binary (path, size, modification time) and the KVM device.
 *
 * @param works  whether a guest ran under KVM
 * @param detail what was found, for the probe
 * @param cached whether the answer came from the cache
 */
public record KvmCheck(boolean works, String detail, boolean cached) {
    static final int GUEST_RAN = 99;
    private static final String CACHE = "kvm-check";

    public KvmCheck {
        requireNonNull(detail, "detail is null");
    }

    /** The cached answer for this host, QEMU and device, or a fresh check (then cached). */
    public static KvmCheck of(Path qemu, Path stateDir) {
        return of(qemu, stateDir, Path.of("/dev/kvm"));
    }

    static KvmCheck of(Path qemu, Path stateDir, Path kvm) {
        if (!Files.exists(kvm)) {
            return new KvmCheck(false, kvm + " does not exist", false);
        }
        if (!Files.isReadable(kvm) || !Files.isWritable(kvm)) {
            return new KvmCheck(false, kvm + " exists but cannot be opened read-write", false);
        }
        String key = key(qemu, kvm);
        Path cache = stateDir.resolve(CACHE);
        try {
            List<String> lines = Files.readAllLines(cache, StandardCharsets.UTF_8);
            if (lines.size() == 3 && lines.get(0).equals(key)) {
                return new KvmCheck(Boolean.parseBoolean(lines.get(1)), lines.get(2), true);
            }
        } catch (IOException e) {
            // no cache yet
        }
        KvmCheck check = run(qemu, stateDir, Accel.KVM);
        try {
            Files.createDirectories(stateDir);
            Path tmp = Files.createTempFile(stateDir, CACHE, ".tmp");
            Files.writeString(tmp, key + "\n" + check.works() + "\n" + check.detail().replace('\n', ' ') + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, cache, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            // uncached: checked again next time
        }
        return check;
    }

    /** Runs the five-byte guest under {@code accel}. */
    static KvmCheck run(Path qemu, Path scratchDir, Accel accel) {
        Path bios = null;
        try {
            Files.createDirectories(scratchDir);
            bios = Files.createTempFile(scratchDir, "kvm-check-", ".bin");
            Files.write(bios, firmware());
            Process process = new ProcessBuilder(qemu.toString(), "-accel", accel.qemuName(), "-machine", "q35", "-nodefaults", "-no-user-config",
                    "-display", "none", "-bios", bios.toString(), "-device", "isa-debug-exit,iobase=0xf4,iosize=1")
                    .redirectErrorStream(true).start();
            process.getOutputStream().close();
            byte[] output = process.getInputStream().readNBytes(4096);
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new KvmCheck(false, "a test guest under " + accel.qemuName() + " did not finish within 20 s", false);
            }
            int status = process.exitValue();
            if (status == GUEST_RAN) {
                return new KvmCheck(true, "a test guest ran under " + accel.qemuName(), false);
            }
            String said = new String(output, StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).findFirst().orElse("no message");
            return new KvmCheck(false, "/dev/kvm opens, but QEMU could not run a guest with it (status " + status + ": "
                    + ConsoleTail.sanitize(said.length() > 160 ? said.substring(0, 160) + "..." : said) + ")", false);
        } catch (IOException e) {
            return new KvmCheck(false, "could not run " + qemu + " to test KVM: " + e.getMessage(), false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new KvmCheck(false, "interrupted while testing KVM", false);
        } finally {
            if (bios != null) {
                try {
                    Files.deleteIfExists(bios);
                } catch (IOException e) {
                    // a 64 KiB leftover in the state directory
                }
            }
        }
    }

    /** 64 KiB of firmware whose reset vector (offset 0xfff0, real mode) writes 0x31 to port 0xf4 and halts. */
    static byte[] firmware() {
        byte[] image = new byte[64 * 1024];
        byte[] code = {(byte) 0xb0, 0x31, (byte) 0xe6, (byte) 0xf4, (byte) 0xf4};
        System.arraycopy(code, 0, image, 0xfff0, code.length);
        return image;
    }

    private static String key(Path qemu, Path kvm) {
        String release = read(Path.of("/proc/sys/kernel/osrelease")).orElse("?");
        String binary;
        try {
            Path real = qemu.toRealPath();
            binary = real + ":" + Files.size(real) + ":" + Files.getLastModifiedTime(real).toMillis();
        } catch (IOException e) {
            binary = qemu.toString();
        }
        String device;
        try {
            device = String.valueOf(Files.getAttribute(kvm, "unix:rdev"));
        } catch (IOException | UnsupportedOperationException e) {
            device = "?";
        }
        return "kernel=" + release + " qemu=" + binary + " kvm=" + device;
    }

    private static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file).trim());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
