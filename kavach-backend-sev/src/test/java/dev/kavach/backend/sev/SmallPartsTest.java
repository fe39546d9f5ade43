package dev.kavach.backend.sev;

import dev.kavach.backend.sev.cli.SevCommand;
import dev.kavach.backend.sev.qemu.ConsoleTail;
import dev.kavach.backend.sev.qemu.HostCpu;
import dev.kavach.backend.sev.snp.OvmfImage;

import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Console tail, OVMF table, host CPU leaf, and the {@code kavach sev} command. */
class SmallPartsTest {
    @Test
    void theConsoleKeepsOnlyItsTail() {
        ConsoleTail tail = new ConsoleTail(16);
        byte[] text = "line one\nline two\nline three\n".getBytes(StandardCharsets.UTF_8);
        tail.accept(text, 0, text.length);
        assertThat(tail.total()).isEqualTo(text.length);
        assertThat(tail.text()).isEqualTo(" two\nline three\n");
        assertThat(tail.lastLines(1)).isEqualTo("  | line three\n");
    }

    @Test
    void ovmfTablesTellAGenericBuildFromTheAmdSevBuild() throws Exception {
        Path generic = Path.of("/usr/share/ovmf/OVMF.fd");
        VmPrerequisites.require(Files.isRegularFile(generic), generic + " (apt-get install ovmf)");
        OvmfImage image = OvmfImage.read(generic);
        assertThat(image.snpMetadata()).isTrue();
        assertThat(image.sevInfoBlock()).isTrue();
        assertThat(image.hashTableSize()).isZero();
        assertThat(image.kernelHashesSection()).isFalse();
        assertThat(image.snpDirectBoot()).isFalse();
        assertThat(OvmfImage.parse(new byte[4096])).isEmpty();
        OvmfImage amdSev = OvmfImage.read(Path.of("src/test/resources/sev-snp-measure/ovmf_AmdSev_suffix.bin"));
        assertThat(amdSev.kernelHashesSection()).isTrue();
        assertThat(amdSev.snpDirectBoot()).isTrue();
    }

    @Test
    void cpuidLeafIsReadFromTheCpuidDeviceOrExplained(@TempDir Path dir) throws Exception {
        HostCpu.EncryptionLeaf missing = new HostCpu(dir.resolve("cpuid")).encryptionLeaf();
        assertThat(missing.cbitpos()).isEmpty();
        assertThat(missing.explanation()).contains("modprobe cpuid");
        // A sparse file laid out like /dev/cpu/N/cpuid: leaf 0x80000000 says 0x8000001F exists, which reports SEV, C-bit 51, 1 reduced bit.
        Path fake = dir.resolve("fake-cpuid");
        try (var file = new java.io.RandomAccessFile(fake.toFile(), "rw")) {
            file.seek(0x80000000L);
            file.write(le(0x80000021, 0, 0, 0));
            file.seek(0x8000001FL);
            file.write(le(0b10011, 51 | (1 << 6), 0, 0));
        }
        HostCpu.EncryptionLeaf leaf = new HostCpu(fake).encryptionLeaf();
        assertThat(leaf.cbitpos()).contains(51);
        assertThat(leaf.reducedPhysBits()).contains(1);
        assertThat(leaf.sevSnp()).isTrue();
    }

    @Test
    void cpuidToolOutputIsParsed() {
        HostCpu.EncryptionLeaf genoa = HostCpu.parseCpuidTool("CPU:\n   0x8000001f 0x00: eax=0x0101fd3f ebx=0x00004173 ecx=0x000003ef edx=0x00000064\n")
                .orElseThrow();
        assertThat(genoa.cbitpos()).contains(51);
        assertThat(genoa.reducedPhysBits()).contains(5);
        assertThat(genoa.sevSnp()).isTrue();
        assertThat(HostCpu.parseCpuidTool("   0x8000001f 0x00: eax=0x00000000 ebx=0x00000000 ecx=0x00000000 edx=0x00000000").orElseThrow().cbitpos())
                .isEmpty();
        assertThat(HostCpu.parseCpuidTool("garbage")).isEmpty();
    }

    @Test
    void sevPolicyCommandDecodesEveryBit(@TempDir Path state) {
        Result ok = run(List.of("policy", "0xb0000"), state);
        assertThat(ok.code).isZero();
        assertThat(ok.out).contains("policy 0xb0000", "debug            true", "WARNING: debug");
        Result bad = run(List.of("policy", "0x10000"), state);
        assertThat(bad.code).isEqualTo(1);
        assertThat(bad.err).contains("reserved bit 17");
        Result help = run(List.of("--help"), state);
        assertThat(help.code).isZero();
        assertThat(help.out).contains("Usage: kavach sev", "build-image", "Builds the guest agent initramfs");
    }

    @Test
    void sevBuildImageCommandWritesTheImage(@TempDir Path state) {
        VmPrerequisites.GuestKernel kernel = VmPrerequisites.kernel();
        Path out = state.resolve("agent.cpio.gz");
        Result result = run(List.of("build-image", "--kernel", kernel.kernel().toString(), "--busybox", VmPrerequisites.busybox().toString(),
                "--out", out.toString()), state);
        assertThat(result.code).as(result.err).isZero();
        assertThat(result.out.trim()).isEqualTo(out.toString());
        assertThat(result.err).contains("virtio_console");
        assertThat(out).isNotEmptyFile();
        Result unknown = run(List.of("build-image", "--kernal", "x"), state);
        assertThat(unknown.code).isEqualTo(2);
        assertThat(unknown.err).contains("kavach sev build-image: Unknown options: '--kernal', 'x'").contains("--kernel");
    }

    private record Result(int code, String out, String err) {
    }

    private static Result run(List<String> args, Path state) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new SevCommand().run(args, new BackendContext("sev", BackendSettings.empty("kavach.backends.sev"), state, "0.1.0"),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static byte[] le(int... values) {
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(values.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            buf.putInt(v);
        }
        return buf.array();
    }
}
