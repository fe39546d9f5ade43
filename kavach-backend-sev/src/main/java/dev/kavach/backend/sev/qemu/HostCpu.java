package dev.kavach.backend.sev.qemu;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What the host CPU says about memory encryption. Java has no CPUID instruction, so this reads Linux's
 * {@code /dev/cpu/0/cpuid} (the {@code cpuid} kernel module; the file offset is the leaf): leaf
 * 0x8000001F gives SEV support in EAX and the C-bit position in EBX[5:0], the physical address bits lost
 * to encryption in EBX[11:6].
 */
public final class HostCpu {
    private static final long SEV_LEAF = 0x8000001FL;

    /** Leaf 0x8000001F as read, or why it could not be read. */
    public record EncryptionLeaf(Optional<Integer> cbitpos, Optional<Integer> reducedPhysBits, boolean sevSnp, String explanation) {
    }

    private final Path cpuidDevice;

    public HostCpu(Path cpuidDevice) {
        this.cpuidDevice = cpuidDevice;
    }

    public static HostCpu system() {
        return new HostCpu(Path.of("/dev/cpu/0/cpuid"));
    }

    public EncryptionLeaf encryptionLeaf() {
        if (!Files.exists(cpuidDevice)) {
            return fromCpuidTool().orElseGet(() -> unknown(cpuidDevice + " does not exist (load the cpuid module: modprobe cpuid)"));
        }
        try (RandomAccessFile file = new RandomAccessFile(cpuidDevice.toFile(), "r")) {
            int[] max = leaf(file, 0x80000000L);
            if (Integer.toUnsignedLong(max[0]) < SEV_LEAF) {
                return unknown("the CPU reports no leaf 0x8000001F (highest extended leaf 0x" + Integer.toHexString(max[0])
                        + "): it has no AMD memory encryption, or the hypervisor hides it");
            }
            int[] regs = leaf(file, SEV_LEAF);
            int eax = regs[0];
            int ebx = regs[1];
            boolean sev = (eax & 0b10) != 0;
            boolean snp = (eax & (1 << 4)) != 0;
            if (!sev) {
                return unknown("CPUID 0x8000001F EAX=0x" + Integer.toHexString(eax) + " reports no SEV support");
            }
            return new EncryptionLeaf(Optional.of(ebx & 0x3F), Optional.of((ebx >>> 6) & 0x3F), snp,
                    "CPUID 0x8000001F: EAX=0x" + Integer.toHexString(eax) + " EBX=0x" + Integer.toHexString(ebx));
        } catch (IOException e) {
            return unknown("cannot read " + cpuidDevice + ": " + e.getMessage() + " (reading CPUID needs root)");
        }
    }

    /**
     * Falls back to the {@code cpuid} tool (package cpuid), whose raw output for one CPU reads
     * {@code 0x8000001f 0x00: eax=0x0101fd3f ebx=0x00004173 ecx=... edx=...}.
     */
    static Optional<EncryptionLeaf> fromCpuidTool() {
        Optional<Path> tool = QemuBinary.locate("cpuid");
        if (tool.isEmpty()) {
            return Optional.empty();
        }
        return QemuBinary.output(java.util.List.of(tool.get().toString(), "-1", "-r", "-l", "0x8000001f")).flatMap(HostCpu::parseCpuidTool);
    }

    public static Optional<EncryptionLeaf> parseCpuidTool(String output) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("0x8000001f 0x00: eax=0x([0-9a-f]{8}) ebx=0x([0-9a-f]{8})").matcher(output);
        if (!m.find()) {
            return Optional.empty();
        }
        int eax = Integer.parseUnsignedInt(m.group(1), 16);
        int ebx = Integer.parseUnsignedInt(m.group(2), 16);
        if ((eax & 0b10) == 0) {
            return Optional.of(unknown("cpuid tool: leaf 0x8000001F EAX=0x" + m.group(1) + " reports no SEV support"));
        }
        return Optional.of(new EncryptionLeaf(Optional.of(ebx & 0x3F), Optional.of((ebx >>> 6) & 0x3F), (eax & (1 << 4)) != 0,
                "cpuid tool: leaf 0x8000001F EAX=0x" + m.group(1) + " EBX=0x" + m.group(2)));
    }

    /** Whether simultaneous multithreading is active, from {@code /sys/devices/system/cpu/smt/active}. */
    public static boolean smtActive() {
        try {
            return Files.readString(Path.of("/sys/devices/system/cpu/smt/active")).trim().equals("1");
        } catch (IOException e) {
            return true; // unknown: allowing SMT in the policy is what lets the guest launch on an SMT host
        }
    }

    private static int[] leaf(RandomAccessFile file, long leaf) throws IOException {
        byte[] regs = new byte[16];
        file.seek(leaf);
        file.readFully(regs);
        ByteBuffer buf = ByteBuffer.wrap(regs).order(ByteOrder.LITTLE_ENDIAN);
        return new int[] {buf.getInt(0), buf.getInt(4), buf.getInt(8), buf.getInt(12)};
    }

    private static EncryptionLeaf unknown(String why) {
        return new EncryptionLeaf(Optional.empty(), Optional.empty(), false, why);
    }
}
