package dev.kavach.backend.sev.measure;

import dev.kavach.backend.sev.cli.MeasureCommand;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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

    /**
     * The shared test data folder's copy ({@code $KAVACH_TESTDATA/sev-snp-measure/vectors.tsv}, CI keeps it
     * beside the checkout), which may carry more rows, and the files they name, than the bundled copy.
     */
    @TestFactory
    Stream<DynamicTest> theSharedVectorsMatch() {
        String env = System.getenv("KAVACH_TESTDATA");
        java.nio.file.Path shared = java.nio.file.Path.of(env != null && !env.isBlank() ? env : "/work/shared/testdata")
                .resolve("sev-snp-measure/vectors.tsv");
        dev.kavach.attestation.snp.Prerequisites.require(java.nio.file.Files.isRegularFile(shared),
                "the shared measurement vectors " + shared + " are absent: set KAVACH_TESTDATA to the folder holding sev-snp-measure/");
        return rows(MeasurementVectors.load(shared));
    }

    /** Further digests sev-snp-measure's own test suite pins (tests/test_guest.py): 4 vCPUs, empty command line, 0x21. */
    @TestFactory
    Stream<DynamicTest> theReferenceTestSuiteVectorsMatch() {
        return rows(MeasurementVectors.load(MeasurementVectors.BUNDLED.resolve("reference-tests.tsv")));
    }

    private static Stream<DynamicTest> rows(MeasurementVectors vectors) {
        return vectors.rows().stream().map(row -> DynamicTest.dynamicTest(vectors.file().getFileName() + " " + row, () -> check(row)));
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

    /** The same row through the library: the signature resolved as the reference does (family, then a non-zero signature, then the type). */
    private static MeasurementInputs inputs(MeasurementVectors.Row row) {
        long sig;
        if (row.given("vcpu_family")) {
            sig = VcpuSignature.of(Integer.parseInt(row.get("vcpu_family").strip()), Integer.parseInt(row.get("vcpu_model").strip()),
                    Integer.parseInt(row.get("vcpu_stepping").strip()));
        } else if (row.given("vcpu_sig") && number(row.get("vcpu_sig")) != 0) {
            sig = number(row.get("vcpu_sig"));
        } else {
            String type = row.get("vcpu_type").strip();
            sig = Character.isDigit(type.charAt(0)) ? number(type) : VcpuSignature.requireType(type);
        }
        long features = row.given("guest_features") ? number(row.get("guest_features")) : MeasurementInputs.DEFAULT_GUEST_FEATURES;
        return new MeasurementInputs(row.ovmf(), row.file("kernel"), row.file("initrd"), row.append(), row.vcpus(), sig, features);
    }

    private static long number(String text) {
        String value = text.strip().toLowerCase(java.util.Locale.ROOT);
        return value.startsWith("0x") ? Long.parseUnsignedLong(value.substring(2), 16) : Long.parseUnsignedLong(value);
    }
}
