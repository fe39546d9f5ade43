package dev.kavach.backend.sev.measure;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every row of the published vectors (sev-snp-measure's digests for two real OVMF suffixes), through the
 * CLI exactly as a user types the reference's flags. A row the reference refuses must be refused.
 */
class MeasurementVectorsTest {
    @Test
    void theBundledVectorsAreThere() {
        MeasurementVectors vectors = MeasurementVectors.load(MeasurementVectors.BUNDLED.resolve("vectors.tsv"));
        assertThat(vectors.rows()).hasSizeGreaterThanOrEqualTo(5);
        assertThat(vectors.rows()).anyMatch(MeasurementVectors.Row::expectsError);
    }

    @TestFactory
    Stream<DynamicTest> everyPublishedVectorMatches() {
        return rows(MeasurementVectors.load());
    }

    /** Further digests sev-snp-measure's own test suite pins (tests/test_guest.py): 4 vCPUs, empty command line, 0x21. */
    @TestFactory
    Stream<DynamicTest> theReferenceTestSuiteVectorsMatch() {
        return rows(MeasurementVectors.load(MeasurementVectors.BUNDLED.resolve("reference-tests.tsv")));
    }

    private static Stream<DynamicTest> rows(MeasurementVectors vectors) {
        return vectors.rows().stream().map(row -> DynamicTest.dynamicTest(row.toString(), () -> check(row)));
    }

    private static void check(MeasurementVectors.Row row) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = MeasureCommand.run(row.flags(), new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String stderr = err.toString(StandardCharsets.UTF_8);
        if (row.expectsError()) {
            assertThat(code).as("exit code of a refused row").isNotZero();
            assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
            assertThat(stderr.lines()).hasSize(1);
            assertThatThrownBy(() -> SnpMeasurement.of(inputs(row))).isInstanceOf(MeasurementException.class);
            return;
        }
        assertThat(stderr).isEmpty();
        assertThat(code).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(row.expected() + System.lineSeparator());
        assertThat(SnpMeasurement.of(inputs(row)).hex()).isEqualTo(row.expected());
    }

    /** The same row through the library, with the signature resolved as the CLI resolves it. */
    private static MeasurementInputs inputs(MeasurementVectors.Row row) {
        List<String> flags = row.flags();
        long sig = flags.contains("--vcpu-sig") ? Long.decode(flags.get(flags.indexOf("--vcpu-sig") + 1))
                : VcpuSignature.requireType(flags.get(flags.indexOf("--vcpu-type") + 1));
        long features = flags.contains("--guest-features") ? Long.decode(flags.get(flags.indexOf("--guest-features") + 1))
                : MeasurementInputs.DEFAULT_GUEST_FEATURES;
        Path kernel = row.file("kernel").orElse(null);
        return new MeasurementInputs(row.ovmf(), java.util.Optional.ofNullable(kernel), row.file("initrd"), row.append(), row.vcpus(), sig,
                features);
    }
}
