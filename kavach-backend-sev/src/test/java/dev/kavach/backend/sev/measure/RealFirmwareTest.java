package dev.kavach.backend.sev.measure;

import dev.kavach.attestation.snp.Prerequisites;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Whole firmware images, not 4 KiB suffixes: Debian 12's ovmf package (2022.11-6+deb12u2). The digests were
 * computed by running sev-snp-measure's Python algorithm on the same files; an image of another version is
 * skipped (its digest differs), not failed.
 */
class RealFirmwareTest {
    @ParameterizedTest
    @CsvSource({
            "/usr/share/ovmf/OVMF.fd, 7b456907dd0786d415999e801a1ac4637b8ed4d7cf5378cfc6edbe5e574dd773, a5b54e62ae971b58274dd24cc6c47b842662617036e7bd67d7326c07ac6363f35399ef933330a5ea160cead90a00603f",
            "/usr/share/OVMF/OVMF_CODE_4M.fd, b157d97b1f69729514feb7f201d2cbe4957f23ab77920e361fe9f822ba49ca4c, f2479663bf36893aefd555407bbd222a2a0de85f4bc6453c0c7ee28b8261de1f0c252ef606d778afc0ac22fd43df5aef"})
    void aWholeDebianOvmfMeasuresAsTheReferenceDoes(Path image, String sha256, String expected) throws Exception {
        Prerequisites.require(Files.isRegularFile(image), image + " (apt-get install ovmf)");
        String actual = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(image)));
        Assumptions.assumeTrue(actual.equals(sha256), image + " is another build than the one pinned here");
        MeasurementInputs twoVcpus = new MeasurementInputs(image, Optional.empty(), Optional.empty(), Optional.empty(), 2, 0x800F12, 1);
        assertThat(SnpMeasurement.of(twoVcpus).hex()).isEqualTo(expected);
        // Neither generic build can take kernel hashes.
        MeasurementInputs withKernel = new MeasurementInputs(image, Optional.of(Path.of("/dev/null")), Optional.empty(), Optional.of(""), 1, 0x800F12, 1);
        assertThatThrownBy(() -> SnpMeasurement.of(withKernel)).isInstanceOf(MeasurementException.class).hasMessageContaining("SNP_KERNEL_HASHES");
    }
}
