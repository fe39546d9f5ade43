package dev.kavach.backend.sev.cli;

import dev.kavach.backend.sev.measure.MeasurementVectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code kavach sev measure}: each bad input is one line on stderr naming what was wrong (then, for a usage error, the hint to --help), a non-zero exit and nothing on stdout. */
class MeasureCommandTest {
    private static final String AMD = MeasurementVectors.BUNDLED.resolve("ovmf_AmdSev_suffix.bin").toString();
    private static final String X64 = MeasurementVectors.BUNDLED.resolve("ovmf_OvmfX64_suffix.bin").toString();

    static Stream<Arguments> refusals() {
        return Stream.of(
                Arguments.of(List.of("--ovmf", AMD, "--vcpus", "1", "--vcpu-type", "EPYC-v9"), "--vcpu-type 'EPYC-v9' is unknown"),
                Arguments.of(List.of("--ovmf", AMD, "--vcpu-type", "EPYC-v4"), "--vcpus N is required"),
                Arguments.of(List.of("--ovmf", AMD, "--vcpus", "0", "--vcpu-type", "EPYC-v4"), "--vcpus 0 is out of range"),
                Arguments.of(List.of("--ovmf", AMD, "--vcpus", "two", "--vcpu-type", "EPYC-v4"), "--vcpus 'two' is not a decimal integer"),
                Arguments.of(List.of("--ovmf", AMD, "--vcpus", "1"), "give the vCPU model"),
                Arguments.of(List.of("--ovmf", AMD, "--vcpus", "1", "--vcpu-sig", "0"), "give the vCPU model"),
                Arguments.of(List.of("--ovmf", AMD, "--vcpus", "1", "--vcpu-sig", "0x1ffffffff"), "--vcpu-sig 0x1ffffffff is too large"),
                Arguments.of(List.of("--ovmf", AMD, "--vcpus", "1", "--vcpu-sig", "zz"), "--vcpu-sig 'zz' is not a number"),
                Arguments.of(List.of("--ovmf", AMD, "--vcpus", "1", "--vcpu-family", "25"), "--vcpu-family needs --vcpu-model and --vcpu-stepping"),
                Arguments.of(List.of("--ovmf", AMD, "--vcpus", "1", "--vcpu-type", "EPYC-v4", "--initrd", "/dev/null"), "--initrd needs --kernel"),
                Arguments.of(List.of("--ovmf", AMD, "--vcpus", "1", "--vcpu-type", "EPYC-v4", "--append", "quiet"), "--append needs --kernel"),
                Arguments.of(List.of("--ovmf", AMD, "--vcpus", "1", "--vcpu-type", "EPYC-v4", "--guest-features", "-1"), "--guest-features '-1' is not a number"),
                Arguments.of(List.of("--ovmf", AMD, "--vcpus", "1", "--vcpu-type", "EPYC-v4", "--output-format", "json"), "--output-format 'json'"),
                Arguments.of(List.of("--ovmf", AMD, "--vcpus", "1", "--vcpu-type", "EPYC-v4", "--mode", "sev"), "--mode 'sev' is not supported"),
                Arguments.of(List.of("--ovmf", AMD, "--vcpus", "1", "--vcpus", "2", "--vcpu-type", "EPYC-v4"), "option '--vcpus' (N) should be specified only once"),
                Arguments.of(List.of("--ovmf", AMD, "--vcpus", "1", "--vcpu-type", "EPYC-v4", "--bogus", "1"), "Unknown options: '--bogus', '1'"),
                Arguments.of(List.of("--vcpus", "1", "--vcpu-type", "EPYC-v4"), "--ovmf FILE is required"),
                Arguments.of(List.of("--ovmf", AMD, "--vcpus", "1", "--vcpu-type"), "Missing required parameter for option '--vcpu-type' (TYPE)"),
                Arguments.of(List.of("--ovmf", "/nonexistent/OVMF.fd", "--vcpus", "1", "--vcpu-type", "EPYC-v4"), "cannot read the firmware /nonexistent/OVMF.fd"),
                Arguments.of(List.of("--ovmf", AMD, "--vcpus", "1", "--vcpu-type", "EPYC-v4", "--kernel", "/nonexistent/vmlinuz"), "cannot read the kernel /nonexistent/vmlinuz"),
                Arguments.of(List.of("--ovmf", X64, "--vcpus", "1", "--vcpu-type", "EPYC-v4", "--kernel", "/dev/null"), "no SNP_KERNEL_HASHES section"));
    }

    @ParameterizedTest
    @MethodSource("refusals")
    void badInputIsOneLineNamingIt(List<String> args, String expected) {
        Run run = run(args);
        assertThat(run.code).isNotZero();
        assertThat(run.out).isEmpty();
        // One line naming what was wrong; a usage error adds picocli's suggestions, if any, and the hint to --help.
        List<String> lines = run.err.lines().toList();
        assertThat(lines.get(0)).startsWith("kavach sev measure: ").contains(expected);
        if (run.code == 2 && lines.size() > 1) {
            assertThat(lines.get(lines.size() - 1)).isEqualTo("Try 'kavach sev measure --help' for usage.");
        } else {
            assertThat(lines).hasSize(1);
        }
    }

    @Test
    void aFirmwareWithoutFooterTableIsRefusedByName(@TempDir Path dir) throws Exception {
        Path blank = Files.write(dir.resolve("OVMF.fd"), new byte[4096]);
        Run run = run(List.of("--ovmf", blank.toString(), "--vcpus", "1", "--vcpu-type", "EPYC-v4"));
        assertThat(run.code).isEqualTo(1);
        assertThat(run.err).contains("no OVMF GUIDed footer table").contains("AmdSevX64.dsc");
    }

    @Test
    void equalsFormsAndTheSnpModeAreAccepted() {
        Run plain = run(List.of("--ovmf", AMD, "--vcpus", "1", "--vcpu-type", "EPYC-v4"));
        Run equals = run(List.of("--mode", "snp", "--ovmf=" + AMD, "--vcpus=1", "--vcpu-type=EPYC-v4", "--guest-features=0x1"));
        assertThat(plain.code).isZero();
        assertThat(equals.out).isEqualTo(plain.out);
        assertThat(plain.out.strip()).isEqualTo("19358ba9a7615534a9a1e2f0dfc29384dcd4dcb7062ff9c6013b26869a5fc6ecabe033c48dd6f6db5d6d76e7c5df632d");
    }

    @Test
    void kavachSevDispatchesMeasureAndLetsTheAppendLineSayHelp(@TempDir Path state) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        dev.kavach.api.BackendContext context = new dev.kavach.api.BackendContext("sev",
                dev.kavach.api.BackendSettings.of("kavach.backends.sev", java.util.Map.of()), state, "0.1.0");
        int code = new dev.kavach.backend.sev.cli.SevCommand().run(List.of("measure", "--ovmf", AMD, "--vcpus", "1", "--vcpu-type", "EPYC-v4",
                        "--kernel", "/dev/null", "--append", "--help"), context, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8).strip()).matches("[0-9a-f]{96}");
        ByteArrayOutputStream help = new ByteArrayOutputStream();
        assertThat(new dev.kavach.backend.sev.cli.SevCommand().run(List.of("measure", "--help"), context, new PrintStream(help, true, StandardCharsets.UTF_8),
                System.err)).isZero();
        assertThat(help.toString(StandardCharsets.UTF_8)).contains("Usage: kavach sev measure").contains("--ovmf=FILE").contains("--vcpus=N").contains("EPYC-Turin");
    }

    private record Run(int code, String out, String err) {
    }

    private static Run run(List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = MeasureCommand.run(new ArrayList<>(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
