package dev.kavach.backend.sev.measure;

import dev.kavach.backend.sev.cli.MeasureCommand;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the published vectors do not reach: real-sized kernels and initrds (hashed in streamed chunks),
 * non-ASCII, long and space-padded command lines, other vCPU types and counts, explicit signatures.
 * The expected digests were computed outside this code base, by running sev-snp-measure's Python
 * algorithm (its gctx/ovmf/sev_hashes/vmsa/vcpu_types logic, with the ctypes VMSA layout) on the same
 * inputs; the generated files are reproduced here byte for byte.
 */
class DerivedMeasurementTest {
    private static final Path AMD_SEV = MeasurementVectors.BUNDLED.resolve("ovmf_AmdSev_suffix.bin");
    private static final String NON_ASCII = "console=ttyS0 root=/dev/vda1 label=Grüße-☃-日本語 quiet";
    private static final String LONG = IntStream.range(0, 90).mapToObj(i -> "opt" + i + "=" + "x".repeat(i)).collect(Collectors.joining(" "));
    private static final String SPACED = "  init=/bin/sh -- \"a b\" \\t end  ";

    @TempDir
    static Path dir;
    static Path kernel;
    static Path initrd;

    @BeforeAll
    static void realSizedFiles() throws IOException {
        kernel = generate(dir.resolve("vmlinuz"), 12 * 1024 * 1024 + 321, 7, 3, 251);
        initrd = generate(dir.resolve("initrd.img"), 37 * 1024 * 1024 + 1, 13, 5, 509);
    }

    /** A file of {@code size} bytes repeating {@code (i * mul + add) % 256} for i below {@code period}. */
    private static Path generate(Path file, int size, int mul, int add, int period) throws IOException {
        byte[] block = new byte[period];
        for (int i = 0; i < period; i++) {
            block[i] = (byte) ((i * mul + add) % 256);
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int written = 0; written < size; written += period) {
                out.write(block, 0, Math.min(period, size - written));
            }
        }
        return file;
    }

    @Test
    void realSizedKernelAndInitrd() {
        assertThat(measure("--vcpus", "2", "--vcpu-type", "EPYC-v4", "--kernel", kernel.toString(), "--initrd", initrd.toString(),
                "--append", "console=ttyS0 loglevel=7"))
                .isEqualTo("0470e1dfb3d67b497b23f1e71e9369a2ec500873ecf2f219ef6db0bfeb0cf68ff519f7d1380ea854c3fbaf8936af8a91");
    }

    @Test
    void aKernelWithoutInitrdHashesTheInitrdAsEmpty() {
        assertThat(measure("--vcpus", "1", "--vcpu-type", "EPYC-v4", "--kernel", kernel.toString(), "--append", "console=ttyS0"))
                .isEqualTo("efd5a53fd40d3599b75c8b8f34c6e6105a83b4280b52abc14cbf2ce073600b155a9605c86a81716534703b68660a95f9");
    }

    @Test
    void nonAsciiCommandLineIsHashedAsUtf8() {
        assertThat(measure("--vcpus", "1", "--vcpu-type", "EPYC-v4", "--kernel", kernel.toString(), "--initrd", initrd.toString(),
                "--append", NON_ASCII))
                .isEqualTo("56f1800fb53db379424430bb1739bcfc958582ae72a065a178f2b9e0c16cbe0425fb6beee5e0322382e48a6fbf7175ec");
    }

    @Test
    void longCommandLine() {
        assertThat(LONG).hasSize(4624);
        assertThat(measure("--vcpus", "2", "--vcpu-type", "EPYC-Milan", "--kernel", kernel.toString(), "--initrd", initrd.toString(),
                "--append", LONG))
                .isEqualTo("e4a98a8ecb3e9304fabee958e051ddd695b7fea3a56d40fd0eca68a126f8f54a5b51286bfe389945c0829730ec0009ce");
    }

    @Test
    void leadingAndTrailingSpacesAndQuotesAreKept() {
        assertThat(measure("--vcpus", "1", "--vcpu-type", "EPYC-v4", "--kernel", kernel.toString(), "--initrd", initrd.toString(),
                "--append", SPACED))
                .isEqualTo("c547bb061bb13cd1b499538d0c0de2af91c30a96e347bbce2cd5fd5caccd765a145a528d322434f560a1973715b7f9fa");
    }

    @Test
    void emptyCommandLineWithAKernelIsALoneNul() {
        String expected = "070e14f5fb8958c6ffe00f34f2fa86e9b93b77e2306944cd26653a4989417b78b0202dfffcaacd448586245d94f7cb5e";
        assertThat(measure("--vcpus", "1", "--vcpu-type", "EPYC-v4", "--kernel", kernel.toString(), "--initrd", initrd.toString(),
                "--append", "")).isEqualTo(expected);
        assertThat(measure("--vcpus", "1", "--vcpu-type", "EPYC-v4", "--kernel", kernel.toString(), "--initrd", initrd.toString()))
                .isEqualTo(expected);
    }

    @Test
    void otherVcpuTypesAndCounts() {
        assertThat(measure("--vcpus", "3", "--vcpu-type", "EPYC-Milan", "--kernel", "/dev/null", "--initrd", "/dev/null"))
                .isEqualTo("2c82c9aafeb883818257787fcd9eb22883760ccef5d4b6ed2669462cb0c5f1d2426aaaf9183fc858e4dafc62998efe26");
        assertThat(measure("--vcpus", "8", "--vcpu-type", "EPYC-Genoa", "--kernel", "/dev/null", "--initrd", "/dev/null",
                "--guest-features", "0x21"))
                .isEqualTo("6f7409b9bb43cea714a50f9cf36d5940ac25327884154e45a2f2d6789b30362cb1ce680aca0a7973e3b8b7564c15e5c7");
        assertThat(measure("--vcpus", "16", "--vcpu-type", "EPYC-Turin", "--kernel", "/dev/null", "--initrd", "/dev/null",
                "--append", "console=ttyS0"))
                .isEqualTo("3bbe64ce36a08e0056add3e3205b85fd8c9d8d58337f57ed844954c9fac3bdb5bb55176a82a2adbe0739ff63ab8720df");
        assertThat(measure("--vcpus", "2", "--vcpu-type", "EPYC-Rome", "--kernel", "/dev/null", "--initrd", "/dev/null"))
                .isEqualTo("22595b48278b4b9bd2b81e8b808580ddecf3331b1a3dc5c882932b2f19d8102ff4c972ec7bb8a9e614f99a684d184e65");
        assertThat(measure("--vcpus", "64", "--vcpu-type", "EPYC-v4"))
                .isEqualTo("d689a3141ba5949db26c0fa7951fb38b3b4056cfea13215baff71c29f61d678065e428914e0a328d72dfae886ce107db");
    }

    @Test
    void anExplicitSignatureOrFamilyModelSteppingReplacesTheType() {
        String genoaStepping1 = "5eda2e91f1d4289422bfdeec5bcfe0baa4e2cddf4068b6b883b7c8cd823a41014ea6d11ff682e7b51a2d033e78d2326a";
        assertThat(measure("--vcpus", "2", "--vcpu-sig", "0xa10f11", "--kernel", "/dev/null", "--initrd", "/dev/null"))
                .isEqualTo(genoaStepping1);
        assertThat(measure("--vcpus", "2", "--vcpu-sig", String.valueOf(0xa10f11), "--kernel", "/dev/null", "--initrd", "/dev/null"))
                .isEqualTo(genoaStepping1);
        assertThat(measure("--vcpus", "2", "--vcpu-family", "25", "--vcpu-model", "17", "--vcpu-stepping", "1", "--vcpu-type", "EPYC-v4",
                "--kernel", "/dev/null", "--initrd", "/dev/null")).isEqualTo(genoaStepping1);
        assertThat(measure("--vcpus", "2", "--vcpu-sig", "0xa10f11", "--vcpu-type", "EPYC-v4", "--kernel", "/dev/null", "--initrd", "/dev/null"))
                .as("a non-zero signature wins over the type, as in the reference").isEqualTo(genoaStepping1);
    }

    @Test
    void base64OutputIsTheSameDigest() {
        String hex = measure("--vcpus", "2", "--vcpu-type", "EPYC-Rome", "--kernel", "/dev/null", "--initrd", "/dev/null");
        String base64 = measure("--vcpus", "2", "--vcpu-type", "EPYC-Rome", "--kernel", "/dev/null", "--initrd", "/dev/null",
                "--output-format", "base64");
        assertThat(SnpMeasurement.parse(base64).hex()).isEqualTo(hex);
    }

    private static String measure(String... flags) {
        List<String> args = new ArrayList<>(List.of("--ovmf", AMD_SEV.toString()));
        args.addAll(List.of(flags));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = MeasureCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(code).isZero();
        String printed = out.toString(StandardCharsets.UTF_8);
        assertThat(printed).endsWith(System.lineSeparator()).doesNotContain(" ");
        return printed.strip();
    }
}
