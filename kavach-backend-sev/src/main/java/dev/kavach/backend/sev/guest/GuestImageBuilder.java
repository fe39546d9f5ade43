package dev.kavach.backend.sev.guest;

import dev.kavach.backend.sev.qemu.QemuLauncher;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static java.util.Objects.requireNonNull;

/**
 * Builds the guest agent's initramfs: a gzip-compressed cpio (newc) holding a static busybox, the agent
 * ({@code /init}, {@code /kavach/run}, {@code /kavach/drop-exec}) and the kernel modules the guest needs, listed in load order in
 * {@code /etc/kavach/modules}. Images are cached by a hash of everything that goes in, so a rebuild with
 * the same inputs is a file lookup.
 */
public final class GuestImageBuilder {
    /** Modules a plain VM guest needs: virtio-pci transport and virtio-serial ports (dependencies follow). */
    public static final List<String> VM_MODULES = List.of("virtio_pci", "virtio_console");
    /** Modules an SNP guest needs in addition: the SEV guest driver and the configfs-tsm report interface (named tsm or tsm_report by kernel version). */
    public static final List<String> SNP_MODULES = List.of("sev-guest", "tsm", "tsm_report");
    private static final String FORMAT = "kavach-guest-image-1";

    /** A built or cached image. */
    public record Image(Path initrd, List<String> modules, String hash, boolean cached) {
        public Image {
            requireNonNull(initrd, "initrd is null");
            modules = List.copyOf(modules);
        }
    }

    private GuestImageBuilder() {
    }

    /**
     * Builds (or finds in {@code cacheDir}) the image for these inputs.
     *
     * @param busybox    a statically linked busybox
     * @param modulesDir the kernel's {@code /lib/modules/<release>} tree
     * @param wanted     module names; absent ones are taken as built in
     * @param cacheDir   where images are kept, named by content hash
     * @param out        where to copy the image, or {@code null} to use the cached file
     */
    public static Image build(Path busybox, Path modulesDir, List<String> wanted, Path cacheDir, Path out) throws IOException {
        return build(busybox, modulesDir, wanted, cacheDir, out, java.util.Map.of());
    }

    /**
     * As {@link #build(Path, Path, List, Path, Path)}, with some of the agent's files replaced
     * ({@code "kavach/attest"} -> content). For tests only: a replaced file changes the image and so its launch
     * measurement, which a production appraisal pins.
     */
    public static Image build(Path busybox, Path modulesDir, List<String> wanted, Path cacheDir, Path out, java.util.Map<String, byte[]> replaced)
            throws IOException {
        requireNonNull(busybox, "busybox is null");
        requireNonNull(modulesDir, "modulesDir is null");
        requireNonNull(cacheDir, "cacheDir is null");
        if (!Files.isRegularFile(busybox)) {
            throw new IOException("busybox " + busybox + " not found (apt-get install busybox-static, which installs /bin/busybox)");
        }
        byte[] busyboxBytes = Files.readAllBytes(busybox);
        if (!isStaticElf(busyboxBytes)) {
            throw new IOException(busybox + " is not a statically linked ELF executable; the guest has no libc "
                    + "(apt-get install busybox-static and use /bin/busybox)");
        }
        KernelModules modules = KernelModules.scan(modulesDir);
        List<String> order = modules.loadOrder(wanted);
        if (!order.contains("virtio_console") && modules.has("virtio_pci") && !modules.has("virtio_console")) {
            throw new IOException("kernel modules in " + modulesDir + " lack virtio_console, which the agent's channels need");
        }
        byte[] init = resource("init");
        byte[] run = resource("run");
        byte[] attest = replaced.containsKey("kavach/attest") ? replaced.get("kavach/attest") : resource("attest");
        byte[] dropExec = DropExecProgram.elf();
        MessageDigest sha = sha256();
        update(sha, FORMAT.getBytes(StandardCharsets.UTF_8));
        update(sha, init);
        update(sha, run);
        update(sha, attest);
        update(sha, dropExec);
        update(sha, busyboxBytes);
        List<byte[]> moduleBytes = new java.util.ArrayList<>();
        for (String name : order) {
            byte[] data = modules.bytes(name);
            moduleBytes.add(data);
            update(sha, name.getBytes(StandardCharsets.UTF_8));
            update(sha, data);
        }
        String hash = HexFormat.of().formatHex(sha.digest());
        Files.createDirectories(cacheDir);
        Path cached = cacheDir.resolve("initrd-" + hash.substring(0, 32) + ".cpio.gz");
        boolean hit = Files.isRegularFile(cached);
        if (!hit) {
            Path tmp = Files.createTempFile(cacheDir, "initrd-", ".tmp");
            try (OutputStream file = Files.newOutputStream(tmp);
                 GZIPOutputStream gzip = new GZIPOutputStream(file, 1 << 16);
                 CpioWriter cpio = new CpioWriter(gzip)) {
                for (String dir : List.of("bin", "dev", "etc", "etc/kavach", "kavach", "lib", "lib/modules", "lib/modules/kavach",
                        "proc", "sys", "tmp")) {
                    cpio.directory(dir, 0755);
                }
                cpio.file("bin/busybox", 0755, busyboxBytes);
                cpio.symlink("bin/sh", "busybox");
                cpio.file("init", 0755, init);
                cpio.file("kavach/run", 0644, run);
                cpio.file("kavach/attest", 0644, attest);
                cpio.file(DropExecProgram.PATH, 0755, dropExec);
                cpio.file("etc/kavach/modules", 0644, (String.join("\n", order) + "\n").getBytes(StandardCharsets.UTF_8));
                for (int i = 0; i < order.size(); i++) {
                    cpio.file("lib/modules/kavach/" + order.get(i) + ".ko", 0644, moduleBytes.get(i));
                }
                cpio.finish();
            } catch (IOException e) {
                Files.deleteIfExists(tmp);
                throw e;
            }
            QemuLauncher.worldReadable(tmp);
            Files.move(tmp, cached, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } else {
            QemuLauncher.worldReadable(cached);
        }
        Path result = cached;
        if (out != null) {
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.copy(cached, out, StandardCopyOption.REPLACE_EXISTING);
            result = out;
        }
        return new Image(result, order, hash, hit);
    }

    /** The module tree that belongs to a Debian-style kernel path ({@code .../boot/vmlinuz-R} -> {@code .../lib/modules/R}). */
    public static java.util.Optional<Path> modulesFor(Path kernel) {
        String name = kernel.getFileName().toString();
        int dash = name.indexOf('-');
        if (dash < 0) {
            return java.util.Optional.empty();
        }
        String release = name.substring(dash + 1);
        Path boot = kernel.toAbsolutePath().getParent();
        List<Path> candidates = new java.util.ArrayList<>();
        if (boot != null && boot.getParent() != null) {
            candidates.add(boot.getParent().resolve("lib/modules").resolve(release));
            candidates.add(boot.getParent().resolve("usr/lib/modules").resolve(release));
        }
        candidates.add(Path.of("/lib/modules").resolve(release));
        return candidates.stream().filter(Files::isDirectory).findFirst();
    }

    public static byte[] resource(String name) throws IOException {
        try (InputStream in = GuestImageBuilder.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("resource " + name + " missing from the plugin JAR");
            }
            return in.readAllBytes();
        }
    }

    private static boolean isStaticElf(byte[] elf) {
        if (elf.length < 64 || elf[0] != 0x7F || elf[1] != 'E' || elf[2] != 'L' || elf[3] != 'F') {
            return false;
        }
        // A dynamically linked executable names its loader in a PT_INTERP segment.
        return !new String(elf, 0, Math.min(elf.length, 4096), StandardCharsets.ISO_8859_1).contains("/lib64/ld-linux");
    }

    private static void update(MessageDigest sha, byte[] data) {
        sha.update(java.nio.ByteBuffer.allocate(8).putLong(data.length).array());
        sha.update(data);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }

    static String sha256Hex(byte[] data) {
        return HexFormat.of().formatHex(sha256().digest(data));
    }
}
