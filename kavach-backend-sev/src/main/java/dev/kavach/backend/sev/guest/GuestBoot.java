package dev.kavach.backend.sev.guest;

import java.nio.file.Path;

import static java.util.Objects.requireNonNull;

/**
 * What QEMU boots directly: a kernel (bzImage, or an uncompressed vmlinux booted through PVH), the agent
 * initramfs and the kernel command line.
 */
public record GuestBoot(Path kernel, Path initrd, String append) {
    /**
     * The command line the agent needs: serial console, no reboot loop after a panic, quiet boot; then
     * the boot-time trims Kata Containers uses for its guests (no crypto self-tests, no timer and TSC
     * checks, no i8042 probing, PCI scan of bus 0 only), which matter most under TCG.
     */
    public static final String BASE_APPEND = "console=ttyS0 panic=-1 rdinit=/init quiet loglevel=3 random.trust_cpu=on"
            + " tsc=reliable no_timer_check rcupdate.rcu_expedited=1 i8042.direct=1 i8042.dumbkbd=1 i8042.nopnp=1 i8042.noaux=1"
            + " noreplace-smp cryptomgr.notests pci=lastbus=0";

    public GuestBoot {
        requireNonNull(kernel, "kernel is null");
        requireNonNull(initrd, "initrd is null");
        requireNonNull(append, "append is null");
    }
}
