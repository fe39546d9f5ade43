package dev.kavach.backend.sev;

import java.nio.file.Path;

import static java.util.Objects.requireNonNull;

/**
 * What QEMU boots directly: a kernel (bzImage, or an uncompressed vmlinux booted through PVH), the agent
 * initramfs and the kernel command line.
 */
public record GuestBoot(Path kernel, Path initrd, String append) {
    /** The command line the agent needs: serial console, no reboot loop after a panic, quiet boot. */
    public static final String BASE_APPEND = "console=ttyS0 panic=-1 rdinit=/init quiet loglevel=3 random.trust_cpu=on";

    public GuestBoot {
        requireNonNull(kernel, "kernel is null");
        requireNonNull(initrd, "initrd is null");
        requireNonNull(append, "append is null");
    }
}
