package dev.kavach.backend.sev;

import dev.kavach.backend.sev.snp.SnpGuestPolicy;

import dev.kavach.api.BackendSettings;
import dev.kavach.api.ConfigurationException;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * The typed, validated settings of the {@code vm} and {@code sev} backends ({@code kavach.backends.vm.*},
 * {@code kavach.backends.sev.*}); read once, every key checked eagerly.
 *
 * @param qemuBinary         QEMU system emulator, a bare name looked up on PATH or a path
 * @param machine            QEMU machine type; only {@code q35} is supported (virtio-pci, SNP)
 * @param accel              {@code auto} (KVM when usable, else TCG; {@code sev} requires KVM), {@code kvm} or {@code tcg}
 * @param cpuModel           {@code -cpu} model, empty for QEMU's default
 * @param kernel             guest kernel (bzImage); empty until configured
 * @param initrd             a ready-made agent initramfs; empty to build one from {@code modules} and {@code busybox}
 * @param modules            the kernel's module tree ({@code /lib/modules/<release>}); empty to derive it from {@code kernel}
 * @param busybox            a static busybox for the guest image
 * @param extraAppend        appended to the kernel command line
 * @param bootVmlinux        {@code auto}: under TCG boot the uncompressed vmlinux through PVH (faster); {@code on}/{@code off}
 * @param defaultMemoryMiB   memory when the policy sets no limit
 * @param maxCpus            largest vCPU count a policy may ask for
 * @param maxMemoryMiB       largest memory a policy may ask for
 * @param bootTimeout        from QEMU's start until the guest agent reports ready
 * @param consoleTailBytes   how much of the serial console is kept for error messages
 * @param statusLimitBytes   bound on the status channel (exit code, attestation report)
 * @param snp                SEV-SNP settings, present only for the {@code sev} backend
 */
record VmSettings(
        String qemuBinary,
        String machine,
        String accel,
        String cpuModel,
        Optional<Path> kernel,
        Optional<Path> initrd,
        Optional<Path> modules,
        Path busybox,
        String extraAppend,
        String bootVmlinux,
        long defaultMemoryMiB,
        int maxCpus,
        long maxMemoryMiB,
        Duration bootTimeout,
        int consoleTailBytes,
        int statusLimitBytes,
        Optional<Snp> snp) {

    private static final long MIB = 1024 * 1024;
    private static final Set<String> COMMON_KEYS = Set.of("qemu", "machine", "accel", "cpu", "kernel", "initrd", "modules", "busybox",
            "append", "boot-vmlinux", "default-memory", "max-cpus", "max-memory", "boot-timeout", "console-tail", "status-limit");
    private static final Set<String> SNP_KEYS = Set.of("firmware", "sev-device", "cbitpos", "reduced-phys-bits", "policy", "policy-smt",
            "allow-policy-bits-kvm-rejects", "kernel-hashes", "guest-features", "vcpu-signature");

    public VmSettings {
        requireNonNull(qemuBinary, "qemuBinary is null");
        requireNonNull(machine, "machine is null");
        requireNonNull(accel, "accel is null");
        requireNonNull(cpuModel, "cpuModel is null");
        requireNonNull(kernel, "kernel is null");
        requireNonNull(initrd, "initrd is null");
        requireNonNull(modules, "modules is null");
        requireNonNull(busybox, "busybox is null");
        requireNonNull(extraAppend, "extraAppend is null");
        requireNonNull(bootVmlinux, "bootVmlinux is null");
        requireNonNull(bootTimeout, "bootTimeout is null");
        requireNonNull(snp, "snp is null");
    }

    /**
     * SEV-SNP launch settings.
     *
     * @param firmware            OVMF built from {@code OvmfPkg/AmdSev/AmdSevX64.dsc} (has the kernel hash table)
     * @param sevDevice           the host's SEV device
     * @param cbitpos             C-bit position; empty to read it from the host CPU
     * @param reducedPhysBits     physical address bits lost to memory encryption (1 on current parts)
     * @param policy              the guest policy, or empty for the hardened default
     * @param policySmt           {@code auto} (as the host), {@code on} or {@code off}; used with the hardened default
     * @param allowKvmRejectedBits whether to launch with policy bits upstream KVM refuses (a patched kernel may take them)
     * @param kernelHashes        measured direct boot: kernel, initrd and command line hashed into the launch measurement
     * @param guestFeatures       the VMSA SEV_FEATURES the host's QEMU and KVM launch with (0x1 for QEMU 9.1+), for the expected measurement
     * @param vcpuSignature       the vCPU signature to measure with; empty to take it from the {@code cpu} model
     */
    public record Snp(Path firmware, Path sevDevice, Optional<Integer> cbitpos, int reducedPhysBits, Optional<SnpGuestPolicy> policy,
                      String policySmt, boolean allowKvmRejectedBits, boolean kernelHashes, long guestFeatures, Optional<Long> vcpuSignature) {
        public Snp {
            requireNonNull(firmware, "firmware is null");
            requireNonNull(sevDevice, "sevDevice is null");
            requireNonNull(cbitpos, "cbitpos is null");
            requireNonNull(policy, "policy is null");
            requireNonNull(policySmt, "policySmt is null");
            requireNonNull(vcpuSignature, "vcpuSignature is null");
        }

        public Snp(Path firmware, Path sevDevice, Optional<Integer> cbitpos, int reducedPhysBits, Optional<SnpGuestPolicy> policy,
                   String policySmt, boolean allowKvmRejectedBits, boolean kernelHashes) {
            this(firmware, sevDevice, cbitpos, reducedPhysBits, policy, policySmt, allowKvmRejectedBits, kernelHashes,
                    dev.kavach.backend.sev.measure.MeasurementInputs.DEFAULT_GUEST_FEATURES, Optional.empty());
        }

        /** The policy to launch with: the configured one, or the hardened default with SMT as the host has it. */
        public SnpGuestPolicy effectivePolicy(boolean hostSmtActive) {
            return policy.orElseGet(() -> SnpGuestPolicy.hardened(switch (policySmt) {
                case "on" -> true;
                case "off" -> false;
                default -> hostSmtActive;
            }));
        }
    }

    /** Reads and validates settings; {@code snp} selects the {@code sev} backend's extra keys. */
    public static VmSettings from(BackendSettings settings, boolean snp) {
        requireNonNull(settings, "settings is null");
        Set<String> accepted = new TreeSet<>(COMMON_KEYS);
        if (snp) {
            accepted.addAll(SNP_KEYS);
        }
        for (String key : settings.keys()) {
            // attestation.* belongs to the attestation library's own settings (AttestationSettings), validated there.
            if (!accepted.contains(key) && !(snp && key.startsWith("attestation."))) {
                String origin = settings.origin(key);
                throw new ConfigurationException("unknown setting " + settings.fullKey(key) + (origin.isEmpty() ? "" : " (set at " + origin + ")"),
                        "remove it or use one of: " + String.join(", ", accepted));
            }
        }
        String machine = settings.string("machine", "q35").trim();
        if (!machine.equals("q35")) {
            throw settings.invalid("machine", machine, "q35 (the only machine type with the PCI devices and SNP support this backend uses)");
        }
        String accel = oneOf(settings, "accel", "auto", List.of("auto", "kvm", "tcg"));
        String bootVmlinux = oneOf(settings, "boot-vmlinux", "auto", List.of("auto", "on", "off"));
        long defaultMemory = mib(settings, "default-memory", 512 * MIB);
        long maxMemory = mib(settings, "max-memory", 8192 * MIB);
        int maxCpus = settings.integer("max-cpus", Math.max(1, Runtime.getRuntime().availableProcessors()));
        if (maxCpus < 1 || maxCpus > 512) {
            throw settings.invalid("max-cpus", String.valueOf(maxCpus), "an integer from 1 to 512");
        }
        if (defaultMemory > maxMemory) {
            throw settings.invalid("default-memory", settings.string("default-memory", ""), "at most max-memory (" + maxMemory + " MiB)");
        }
        Duration bootTimeout = settings.duration("boot-timeout", Duration.ofSeconds(120));
        if (bootTimeout.isZero() || bootTimeout.isNegative()) {
            throw settings.invalid("boot-timeout", settings.string("boot-timeout", ""), "a positive duration such as 60s");
        }
        int consoleTail = (int) Math.min(Integer.MAX_VALUE, settings.bytes("console-tail", 16 * 1024));
        int statusLimit = (int) Math.min(Integer.MAX_VALUE, settings.bytes("status-limit", 64 * 1024));
        if (consoleTail < 256) {
            throw settings.invalid("console-tail", String.valueOf(consoleTail), "at least 256 bytes");
        }
        if (statusLimit < 4096) {
            throw settings.invalid("status-limit", String.valueOf(statusLimit), "at least 4K (an attestation report is about 1.6K in base64)");
        }
        return new VmSettings(
                nonBlank(settings, "qemu", "qemu-system-x86_64"),
                machine,
                accel,
                settings.string("cpu", snp ? "EPYC-v4" : "").trim(),
                settings.path("kernel"),
                settings.path("initrd"),
                settings.path("modules"),
                Path.of(nonBlank(settings, "busybox", "/bin/busybox")),
                settings.string("append", "").trim(),
                bootVmlinux,
                defaultMemory,
                maxCpus,
                maxMemory,
                bootTimeout,
                consoleTail,
                statusLimit,
                snp ? Optional.of(snpSettings(settings)) : Optional.empty());
    }

    private static Snp snpSettings(BackendSettings settings) {
        String cbit = settings.string("cbitpos", "auto").trim();
        Optional<Integer> cbitpos;
        if (cbit.equals("auto")) {
            cbitpos = Optional.empty();
        } else {
            int value = settings.integer("cbitpos", 0);
            if (value < 32 || value > 63) {
                throw settings.invalid("cbitpos", cbit, "auto or the host's C-bit position, 32..63 (51 on Milan and Genoa)");
            }
            cbitpos = Optional.of(value);
        }
        int reduced = settings.integer("reduced-phys-bits", 1);
        if (reduced < 1 || reduced > 63) {
            throw settings.invalid("reduced-phys-bits", String.valueOf(reduced), "an integer from 1 to 63 (1 on current EPYC parts)");
        }
        String policyText = settings.string("policy", "hardened").trim();
        Optional<SnpGuestPolicy> policy;
        if (policyText.equals("hardened")) {
            policy = Optional.empty();
        } else {
            long bits = settings.longValue("policy", 0);
            try {
                policy = Optional.of(SnpGuestPolicy.fromBits(bits));
            } catch (IllegalArgumentException e) {
                throw settings.invalid("policy", policyText, "hardened or a valid SNP guest policy such as 0x30000 (" + e.getMessage() + ")");
            }
        }
        String smt = oneOf(settings, "policy-smt", "auto", List.of("auto", "on", "off"));
        return new Snp(
                Path.of(nonBlank(settings, "firmware", "/usr/share/ovmf/OVMF.amdsev.fd")),
                Path.of(nonBlank(settings, "sev-device", "/dev/sev")),
                cbitpos,
                reduced,
                policy,
                smt,
                settings.bool("allow-policy-bits-kvm-rejects", false),
                settings.bool("kernel-hashes", true),
                unsigned(settings, "guest-features", "0x1", -1L, "a number such as 0x1 (SNPActive, what QEMU 9.1+ launches with) or 0x21 (with DebugSwap)"),
                settings.string("vcpu-signature", "auto").trim().equals("auto") ? Optional.empty()
                        : Optional.of(unsigned(settings, "vcpu-signature", "auto", 0xFFFF_FFFFL, "auto or the guest's 32-bit CPUID signature, e.g. 0xa10f11")));
    }

    /** A setting written in decimal or 0x-hex, at most {@code max} (-1: any unsigned 64-bit value). */
    private static long unsigned(BackendSettings settings, String key, String defaultValue, long max, String expected) {
        String text = settings.string(key, defaultValue).trim();
        try {
            boolean hex = text.startsWith("0x") || text.startsWith("0X");
            long value = Long.parseUnsignedLong(hex ? text.substring(2) : text, hex ? 16 : 10);
            if (max >= 0 && Long.compareUnsigned(value, max) > 0) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw settings.invalid(key, text, expected);
        }
    }

    private static String oneOf(BackendSettings settings, String key, String defaultValue, List<String> values) {
        String value = settings.string(key, defaultValue).trim().toLowerCase(Locale.ROOT);
        if (!values.contains(value)) {
            throw settings.invalid(key, value, "one of " + String.join(", ", values));
        }
        return value;
    }

    private static String nonBlank(BackendSettings settings, String key, String defaultValue) {
        String value = settings.string(key, defaultValue).trim();
        if (value.isEmpty()) {
            throw settings.invalid(key, value, "a non-empty value (default " + defaultValue + ")");
        }
        return value;
    }

    private static long mib(BackendSettings settings, String key, long defaultBytes) {
        long bytes = settings.bytes(key, defaultBytes);
        if (bytes < 64 * MIB || bytes % MIB != 0) {
            throw settings.invalid(key, settings.string(key, ""), "a whole number of MiB, at least 64M, e.g. 512M or 2G");
        }
        return bytes / MIB;
    }
}
