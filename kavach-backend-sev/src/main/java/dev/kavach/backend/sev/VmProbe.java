package dev.kavach.backend.sev;

import dev.kavach.backend.sev.guest.GuestKernelCheck;
import dev.kavach.backend.sev.guest.KernelModules;
import dev.kavach.backend.sev.qemu.Accel;
import dev.kavach.backend.sev.qemu.HostCpu;
import dev.kavach.backend.sev.qemu.KvmCheck;
import dev.kavach.backend.sev.qemu.QemuBinary;
import dev.kavach.backend.sev.qemu.QemuLauncher;
import dev.kavach.backend.sev.qemu.QemuUidLease;
import dev.kavach.backend.sev.snp.OvmfImage;
import dev.kavach.backend.sev.snp.SnpGuestPolicy;

import dev.kavach.api.Availability;
import dev.kavach.api.BackendContext;
import dev.kavach.api.KavachException;
import dev.kavach.api.ProbeCheck;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks every prerequisite of the {@code vm} or {@code sev} backend on this host and says how to fix each
 * missing one: QEMU (9.1+ with {@code sev-snp-guest} for SNP), KVM, the guest kernel and agent image, and
 * for SNP the SEV device, SNP enabled in KVM, an SNP-capable OVMF, the C-bit position and the policy.
 */
final class VmProbe {
    private static final Logger LOG = LoggerFactory.getLogger(VmProbe.class);

    static final String QEMU_FIX = "apt-get install -t bookworm-backports qemu-system-x86 (QEMU 9.1 or later knows sev-snp-guest)";

    private VmProbe() {
    }

    public static Availability probe(BackendContext context, boolean snp) {
        long started = System.nanoTime();
        Availability availability = checks(context, snp);
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} probe: {} in {} ms: {}", context.backendId(), availability.available() ? "available" : "unavailable",
                    (System.nanoTime() - started) / 1_000_000, availability.checks().stream()
                            .map(c -> c.name() + "=" + (c.passed() ? "ok" : c.required() ? "FAIL" : "missing") + " (" + c.detail() + ")").toList());
        }
        return availability;
    }

    private static Availability checks(BackendContext context, boolean snp) {
        String prefix = context.settings().prefix() + ".";
        List<ProbeCheck> checks = new ArrayList<>();
        VmSettings settings;
        try {
            settings = VmSettings.from(context.settings(), snp);
        } catch (KavachException e) {
            return Availability.of(ProbeCheck.missing("settings", e.getMessage(), e.fix()));
        }
        checks.add(ProbeCheck.ok("settings", "valid"));
        checks.add(qemu(settings, snp, prefix));
        checks.add(qemuConfinement(settings));
        if (snp && QemuLauncher.runningAsRoot()) {
            checks.add(sevDeviceForDroppedQemu(settings.snp().orElseThrow().sevDevice()));
        }
        checks.add(kvm(settings, snp, prefix, context.stateDir()));
        checks.addAll(guest(settings, snp, prefix));
        if (snp) {
            checks.addAll(snpChecks(settings.snp().orElseThrow(), prefix));
            checks.add(expectedMeasurements(context, prefix));
        }
        return new Availability(checks);
    }

    /**
     * A valid signature proves that AMD hardware launched <em>some</em> guest; only the launch measurement
     * proves it was Kavach's guest. The backend computes that measurement itself from what it launches and
     * pins it (check {@code launch.measurement}); {@code attestation.expected-measurements} is an optional
     * allow-list on top, e.g. for values an auditor computed independently, and must be well formed.
     */
    static ProbeCheck expectedMeasurements(BackendContext context, String prefix) {
        List<String> expected = context.settings().list(EXPECTED_MEASUREMENTS);
        String key = prefix + EXPECTED_MEASUREMENTS;
        for (String hex : expected) {
            if (!hex.matches("(?i)[0-9a-f]{96}")) {
                return ProbeCheck.missing("expected-measurement", "'" + hex + "' in " + key + " is not a 48-byte measurement",
                        "give each measurement as 96 hex digits, e.g. as printed by kavach sev measure");
            }
        }
        return ProbeCheck.ok("expected-measurement", "each launch is pinned to the measurement Kavach computes for it"
                + (expected.isEmpty() ? " (no allow-list in " + key + ")" : "; it must also be one of the " + expected.size() + " in " + key));
    }

    /** The setting listing the launch measurements a {@code sev} guest's report must carry. */
    static final String EXPECTED_MEASUREMENTS = "attestation.expected-measurements";

    /** Whether {@code /dev/kvm} is there for QEMU to open. */
    public static boolean kvmUsable() {
        Path kvm = Path.of("/dev/kvm");
        return Files.exists(kvm) && Files.isReadable(kvm) && Files.isWritable(kvm);
    }

    /**
     * The accelerator a setting resolves to on this host: {@code auto} is KVM only when a test guest really
     * ran under it ({@link KvmCheck}, cached in {@code stateDir}); SEV-SNP always needs KVM.
     */
    public static Accel accel(VmSettings settings, boolean snp, Path stateDir) {
        Accel accel = switch (settings.accel()) {
            case "kvm" -> Accel.KVM;
            case "tcg" -> Accel.TCG;
            default -> snp || kvmCheck(settings, stateDir).works() ? Accel.KVM : Accel.TCG;
        };
        LOG.debug("accelerator {} (setting '{}'{})", accel, settings.accel(), snp ? ", SEV-SNP needs KVM" : "");
        return accel;
    }

    /** The KVM check for this settings' QEMU; a missing QEMU means no KVM (the qemu check reports it). */
    static KvmCheck kvmCheck(VmSettings settings, Path stateDir) {
        long started = System.nanoTime();
        KvmCheck check = QemuBinary.locate(settings.qemuBinary()).map(qemu -> KvmCheck.of(qemu, stateDir))
                .orElseGet(() -> new KvmCheck(false, "no QEMU to test KVM with", false));
        LOG.debug("KVM check: {} ({}{}, {} ms)", check.works() ? "works" : "unusable", check.detail(), check.cached() ? ", cached" : "",
                (System.nanoTime() - started) / 1_000_000);
        return check;
    }

    /** The accelerator a setting resolves to on this host, judging KVM by {@code /dev/kvm} alone (no state dir to cache a real check). */
    public static Accel accel(VmSettings settings, boolean snp) {
        return switch (settings.accel()) {
            case "kvm" -> Accel.KVM;
            case "tcg" -> Accel.TCG;
            default -> snp || kvmUsable() ? Accel.KVM : Accel.TCG;
        };
    }

    private static ProbeCheck qemu(VmSettings settings, boolean snp, String prefix) {
        Optional<Path> binary = QemuBinary.locate(settings.qemuBinary());
        if (binary.isEmpty()) {
            return ProbeCheck.missing("qemu", settings.qemuBinary() + " (" + prefix + "qemu) not found", QEMU_FIX);
        }
        Optional<int[]> version = QemuBinary.version(binary.get());
        if (version.isEmpty()) {
            return ProbeCheck.missing("qemu", binary.get() + " --version failed", QEMU_FIX);
        }
        String found = "QEMU " + version.get()[0] + "." + version.get()[1] + " at " + binary.get();
        if (snp) {
            boolean recent = version.get()[0] > 9 || (version.get()[0] == 9 && version.get()[1] >= 1);
            if (!recent || !QemuBinary.knowsSevSnpGuest(binary.get())) {
                return ProbeCheck.missing("qemu", found + " does not know -object sev-snp-guest (needs QEMU 9.1+)", QEMU_FIX);
            }
        }
        return ProbeCheck.ok("qemu", found);
    }

    /**
     * QEMU's seccomp sandbox and setpriv: without the first a guest that escapes device emulation runs
     * with every system call; without the second QEMU outlives a killed JVM. Both are required.
     */
    private static ProbeCheck qemuConfinement(VmSettings settings) {
        Optional<Path> binary = QemuBinary.locate(settings.qemuBinary());
        if (binary.isPresent() && !QemuBinary.acceptsSandbox(binary.get())) {
            return ProbeCheck.missing("qemu-sandbox", binary.get() + " refuses -sandbox " + QemuBinary.SANDBOX
                            + " (QEMU older than 2.11 or built without seccomp)",
                    "install a QEMU built with seccomp support: " + QEMU_FIX);
        }
        Optional<Path> setpriv = QemuLauncher.setpriv();
        if (setpriv.isEmpty()) {
            return ProbeCheck.missing("qemu-sandbox", "setpriv with --pdeathsig (util-linux 2.33+) is not on PATH, so QEMU would outlive a killed JVM",
                    "apt-get install util-linux");
        }
        return ProbeCheck.ok("qemu-sandbox", "-sandbox " + QemuBinary.SANDBOX + "; " + setpriv.get() + " --pdeathsig=KILL"
                + (QemuLauncher.runningAsRoot() ? ", QEMU dropped to a uid of its own from " + QemuUidLease.FIRST : ", QEMU runs as this user"));
    }

    /** A root Kavach drops QEMU to a uid of its own, which reaches the SEV device only through its group. */
    static ProbeCheck sevDeviceForDroppedQemu(Path device) {
        try {
            int mode = (int) Files.getAttribute(device, "unix:mode");
            int gid = (int) Files.getAttribute(device, "unix:gid");
            if ((mode & 0060) == 0060 && gid != 0) {
                return ProbeCheck.ok("sev-device-access", "QEMU (a uid of its own) opens " + device + " through group " + gid);
            }
            return ProbeCheck.missing("sev-device-access", "QEMU runs as a uid of its own and " + device + " (mode " + Integer.toOctalString(mode & 0777)
                            + ", group " + gid + ") gives it no access",
                    "give " + device + " a non-root group with read-write access, e.g. chgrp kvm " + device + " && chmod 660 " + device
                            + " (a udev rule makes it last)");
        } catch (IOException | UnsupportedOperationException e) {
            return ProbeCheck.missing("sev-device-access", device + " cannot be inspected: " + e.getMessage(), "see the sev-device check");
        }
    }

    private static ProbeCheck kvm(VmSettings settings, boolean snp, String prefix, Path stateDir) {
        String fix = "enable virtualisation (AMD-V/SVM) in the BIOS, load kvm_amd, and give this user access to /dev/kvm (group kvm)";
        if (settings.accel().equals("tcg")) {
            return ProbeCheck.optional("kvm", true, "not used: " + prefix + "accel = tcg (software emulation, slower boots)", "");
        }
        boolean usable;
        String detail;
        if (snp || settings.accel().equals("kvm")) {
            usable = kvmUsable();
            detail = usable ? "/dev/kvm is usable" : Files.exists(Path.of("/dev/kvm")) ? "/dev/kvm exists but cannot be opened read-write" : "/dev/kvm does not exist";
        } else {
            // auto: a test guest decides, since a /dev/kvm that opens may still not run one (nested virtualisation)
            KvmCheck check = kvmCheck(settings, stateDir);
            usable = check.works();
            detail = check.detail() + (check.cached() ? " (cached check)" : "");
            fix = usable ? fix : "fix KVM on this host (nested virtualisation may need the host's kvm module option nested=1), or set "
                    + prefix + "accel = tcg to say software emulation is intended";
        }
        if (snp || settings.accel().equals("kvm")) {
            return usable ? ProbeCheck.ok("kvm", detail) : ProbeCheck.missing("kvm", detail + (snp ? "; SEV-SNP needs KVM" : "; " + prefix + "accel = kvm"), fix);
        }
        return ProbeCheck.optional("kvm", usable, usable ? detail : detail + "; falling back to TCG software emulation (boots take seconds)", fix);
    }

    private static List<ProbeCheck> guest(VmSettings settings, boolean snp, String prefix) {
        List<ProbeCheck> checks = new ArrayList<>();
        Path kernel;
        try {
            kernel = GuestSetup.kernel(settings, prefix);
            checks.add(ProbeCheck.ok("kernel", kernel.toString()));
        } catch (KavachException e) {
            checks.add(ProbeCheck.missing("kernel", e.getMessage(), e.fix()));
            return checks;
        }
        if (settings.initrd().isPresent()) {
            Path initrd = settings.initrd().get();
            checks.add(Files.isReadable(initrd) ? ProbeCheck.ok("initrd", initrd + " (" + prefix + "initrd)")
                    : ProbeCheck.missing("initrd", initrd + " (" + prefix + "initrd) is not readable",
                    "kavach sev build-image --kernel " + kernel + " --out " + initrd));
            return checks;
        }
        String buildFix = "kavach sev build-image --kernel " + kernel + " --modules /lib/modules/<release> --busybox /bin/busybox, then set " + prefix + "initrd";
        try {
            Path modules = GuestSetup.modules(settings, kernel, prefix);
            KernelModules tree = KernelModules.scan(modules);
            List<String> order = tree.loadOrder(GuestSetup.wantedModules(snp));
            if (!tree.available("virtio_console")) {
                checks.add(ProbeCheck.missing("modules", modules + " has no virtio_console module; the agent's channels need it",
                        "use a kernel package with virtio modules, e.g. linux-image-6.1.0-<N>-amd64"));
            } else {
                checks.add(ProbeCheck.ok("modules", modules + ": " + String.join(", ", order)));
            }
            if (snp) {
                checks.add(GuestKernelCheck.reports(tree, modules));
            }
        } catch (KavachException e) {
            checks.add(ProbeCheck.missing("modules", e.getMessage(), e.fix() + "; or " + buildFix));
        } catch (IOException e) {
            checks.add(ProbeCheck.missing("modules", e.getMessage(), buildFix));
        }
        Path busybox = settings.busybox();
        checks.add(Files.isRegularFile(busybox) ? ProbeCheck.ok("busybox", busybox.toString())
                : ProbeCheck.missing("busybox", busybox + " (" + prefix + "busybox) not found", "apt-get install busybox-static"));
        return checks;
    }

    private static List<ProbeCheck> snpChecks(VmSettings.Snp snp, String prefix) {
        List<ProbeCheck> checks = new ArrayList<>();
        Path device = snp.sevDevice();
        checks.add(Files.exists(device) ? ProbeCheck.ok("sev-device", device + " exists")
                : ProbeCheck.missing("sev-device", device + " does not exist: no AMD SEV firmware interface on this host",
                "run on an AMD EPYC (Milan or later) host with SEV-SNP enabled in the BIOS (SMEE, SEV-SNP, SNP memory coverage) and kvm_amd loaded"));
        Path snpParam = Path.of("/sys/module/kvm_amd/parameters/sev_snp");
        String snpState = read(snpParam).orElse("");
        checks.add(snpState.equals("Y") || snpState.equals("1") ? ProbeCheck.ok("snp-enabled", "kvm_amd sev_snp=" + snpState)
                : ProbeCheck.missing("snp-enabled", snpState.isEmpty() ? snpParam + " does not exist (kvm_amd not loaded or too old for SNP)"
                        : "kvm_amd sev_snp=" + snpState,
                "enable SEV-SNP in the BIOS, boot a host kernel with SNP host support (6.11+), and load kvm_amd with sev_snp=1 "
                        + "(options kvm_amd sev_snp=1 in /etc/modprobe.d/kvm.conf)"));
        Path firmware = snp.firmware();
        String ovmfFix = "build OVMF from edk2's OvmfPkg/AmdSev/AmdSevX64.dsc (or install a distribution's AmdSev OVMF, e.g. OVMF.amdsev.fd) and set "
                + prefix + "firmware to it";
        if (!Files.isReadable(firmware)) {
            checks.add(ProbeCheck.missing("firmware", firmware + " (" + prefix + "firmware) not found", ovmfFix));
        } else {
            try {
                OvmfImage ovmf = OvmfImage.read(firmware);
                if (!ovmf.snpMetadata()) {
                    checks.add(ProbeCheck.missing("firmware", firmware + " has no SEV-SNP metadata (\"SEV information block not found\")", ovmfFix));
                } else if (snp.kernelHashes() && (ovmf.hashTableSize() == 0 || !ovmf.kernelHashesSection())) {
                    checks.add(ProbeCheck.missing("firmware", firmware + (ovmf.kernelHashesSection() ? "" : " has no SNP kernel-hashes metadata section (type 0x10) and")
                            + " reserves " + (ovmf.hashTableSize() == 0 ? "no" : "a") + " kernel hash table, so kernel-hashes=on fails "
                            + "(\"guest firmware has no hashes table\") and the launch cannot be measured; this is a generic OVMF build "
                            + "(e.g. OvmfPkg/OvmfPkgX64.dsc), not the AmdSev one", ovmfFix));
                } else {
                    checks.add(ProbeCheck.ok("firmware", firmware + ": SNP metadata, hash table " + ovmf.hashTableSize() + " bytes"));
                }
            } catch (IOException e) {
                checks.add(ProbeCheck.missing("firmware", e.getMessage(), ovmfFix));
            }
        }
        if (snp.cbitpos().isPresent()) {
            checks.add(ProbeCheck.ok("cbitpos", snp.cbitpos().get() + " (" + prefix + "cbitpos)"));
        } else {
            HostCpu.EncryptionLeaf leaf = HostCpu.system().encryptionLeaf();
            checks.add(leaf.cbitpos().isPresent() ? ProbeCheck.ok("cbitpos", leaf.cbitpos().get() + " from " + leaf.explanation())
                    : ProbeCheck.missing("cbitpos", "C-bit position unknown: " + leaf.explanation(),
                    "load the cpuid module (modprobe cpuid) and run as root, or set " + prefix + "cbitpos (51 on Milan and Genoa; see cpuid -1 -l 0x8000001f, EBX[5:0])"));
        }
        SnpGuestPolicy policy = snp.effectivePolicy(HostCpu.smtActive());
        List<String> rejected = policy.bitsRejectedByKvm();
        if (!rejected.isEmpty() && !snp.allowKvmRejectedBits()) {
            checks.add(ProbeCheck.missing("policy", "guest policy " + policy.toHex() + " sets bits upstream KVM refuses with EINVAL: " + String.join(", ", rejected),
                    "clear them in " + prefix + "policy, or set " + prefix + "allow-policy-bits-kvm-rejects = true for a host kernel that takes them"));
        } else {
            List<String> notes = new ArrayList<>(policy.weakenings());
            notes.addAll(rejected.stream().map(r -> r + " (allowed by setting)").toList());
            checks.add(ProbeCheck.ok("policy", "guest policy " + policy.toHex() + (notes.isEmpty() ? " (hardened)" : "; WARNING: " + String.join("; ", notes))));
        }
        return checks;
    }

    private static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file).trim());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
