package dev.kavach.backend.sev;

import dev.kavach.backend.sev.guest.GuestImageBuilder;
import dev.kavach.backend.sev.guest.VmlinuxExtractor;
import dev.kavach.backend.sev.qemu.Accel;

import dev.kavach.api.ConfigurationException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Resolves what a VM boots from the settings: the kernel (as configured, or its extracted vmlinux under
 * TCG), the module tree and the agent initramfs (as configured, or built and cached under the state dir).
 */
public final class GuestSetup {
    private GuestSetup() {
    }

    /** The guest kernel as configured, checked. */
    public static Path kernel(VmSettings settings, String prefix) {
        Path kernel = settings.kernel().orElseThrow(() -> new ConfigurationException(
                "no guest kernel configured: " + prefix + "kernel is unset",
                "run kavach sev fetch-kernel (Debian's 6.12, which sev needs to ask for attestation reports; --series 6.1 suits vm) "
                        + "and set " + prefix + "kernel to the KAVACH_GUEST_KERNEL path it prints"));
        if (!Files.isReadable(kernel)) {
            throw new ConfigurationException("guest kernel " + kernel + " (" + prefix + "kernel) is not a readable file",
                    "point " + prefix + "kernel at an existing bzImage");
        }
        return kernel;
    }

    /** The module tree the image is built from: configured, or derived from the kernel's path. */
    public static Path modules(VmSettings settings, Path kernel, String prefix) {
        return settings.modules().or(() -> GuestImageBuilder.modulesFor(kernel)).orElseThrow(() -> new ConfigurationException(
                "no kernel modules found for " + kernel + " and " + prefix + "modules is unset",
                "set " + prefix + "modules to the kernel's /lib/modules/<release> directory"));
    }

    /** Modules the agent image carries for this backend. */
    public static List<String> wantedModules(boolean snp) {
        List<String> wanted = new ArrayList<>(GuestImageBuilder.VM_MODULES);
        if (snp) {
            wanted.addAll(GuestImageBuilder.SNP_MODULES);
        }
        return List.copyOf(wanted);
    }

    /** The agent initramfs: the configured one, or one built (and cached) from busybox and the modules. */
    public static Path initrd(VmSettings settings, Path kernel, boolean snp, Path stateDir, String prefix) {
        requireNonNull(stateDir, "stateDir is null");
        if (settings.initrd().isPresent()) {
            Path initrd = settings.initrd().get();
            if (!Files.isReadable(initrd)) {
                throw new ConfigurationException("initrd " + initrd + " (" + prefix + "initrd) is not a readable file",
                        "build one with: kavach sev build-image --kernel " + kernel + " --out " + initrd + ", or unset " + prefix + "initrd");
            }
            return initrd;
        }
        Path modules = modules(settings, kernel, prefix);
        try {
            return GuestImageBuilder.build(settings.busybox(), modules, wantedModules(snp), stateDir.resolve("images"), null).initrd();
        } catch (IOException e) {
            throw new ConfigurationException("cannot build the guest agent image: " + e.getMessage(),
                    "check " + prefix + "busybox and " + prefix + "modules, or build it with kavach sev build-image and set " + prefix + "initrd");
        }
    }

    /** The kernel QEMU boots: the vmlinux ELF (PVH entry) under TCG when enabled, else the bzImage. */
    public static Path bootKernel(VmSettings settings, Path kernel, Accel accel, boolean snp, Path stateDir) {
        boolean vmlinux = !snp && switch (settings.bootVmlinux()) {
            case "on" -> true;
            case "off" -> false;
            default -> accel == Accel.TCG;
        };
        if (!vmlinux) {
            return kernel;
        }
        try {
            return VmlinuxExtractor.extract(kernel, stateDir.resolve("kernels"));
        } catch (IOException e) {
            if (settings.bootVmlinux().equals("on")) {
                throw new ConfigurationException("cannot extract vmlinux from " + kernel + ": " + e.getMessage(),
                        "set boot-vmlinux = off to boot the bzImage");
            }
            return kernel; // auto: the bzImage boots too, only slower
        }
    }
}
