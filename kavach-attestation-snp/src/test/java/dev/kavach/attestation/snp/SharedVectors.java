package dev.kavach.attestation.snp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * The real AMD vectors: the copies in this module's test resources ({@code sev-snp/}, with NOTICE.md), or
 * {@code $KAVACH_TESTDATA/sev-snp} when that is set. Tests call {@link #require()} first: it skips (fails
 * under CI) when the folder is absent.
 */
public final class SharedVectors {
    public static final Path DIR = locate();

    /** A positive vector: a report and the certificates that verify it. */
    public record Vector(String name, String report, String vek, String ask, String ark) {
        AttestationReport parse() {
            return AttestationReport.parse(bytes(report));
        }

        VekChain chain() {
            return new VekChain(cert(vek), cert(ask), cert(ark));
        }

        @Override
        public String toString() {
            return name;
        }
    }

    public static final Vector VIRTEE_MILAN = new Vector("virtee-sev milan v2", "virtee-sev_milan-vcek-v2/report_milan.bin",
            "virtee-sev_milan-vcek-v2/vcek_milan.der", "virtee-sev_milan-vcek-v2/ask_milan.pem", "virtee-sev_milan-vcek-v2/ark_milan.pem");
    public static final Vector GO_SEV_GUEST_DEBUG = new Vector("go-sev-guest milan v2 debug", "go-sev-guest_milan-vcek-v2/attestation.bin",
            "go-sev-guest_milan-vcek-v2/vcek.testcer", "go-sev-guest_milan-vcek-v2/ask_milan.pem", "go-sev-guest_milan-vcek-v2/ark_milan.pem");
    public static final Vector TRUSTEE_IDBLOCK = new Vector("trustee milan v2 id block", "trustee_milan-vcek-v2-idblock/test-report.bin",
            "trustee_milan-vcek-v2-idblock/test-vcek.der", "trustee_milan-vcek-v2-idblock/ask_milan.pem", "trustee_milan-vcek-v2-idblock/ark_milan.pem");
    public static final Vector TRUSTEE_VLEK = new Vector("trustee milan v3 vlek", "trustee_milan-vlek-v3/test-vlek-report.bin",
            "trustee_milan-vlek-v3/test-vlek.der", "trustee_milan-vlek-v3/asvk_milan.pem", "trustee_milan-vlek-v3/ark_milan.pem");

    public static final List<Vector> POSITIVE = List.of(VIRTEE_MILAN, GO_SEV_GUEST_DEBUG, TRUSTEE_IDBLOCK, TRUSTEE_VLEK);

    private SharedVectors() {
    }

    private static Path locate() {
        String env = System.getenv("KAVACH_TESTDATA");
        if (env != null && !env.isBlank()) {
            return Path.of(env).resolve("sev-snp");
        }
        Path resources = Path.of("src/test/resources/sev-snp");
        java.net.URL url = SharedVectors.class.getResource("/sev-snp/NOTICE.md");
        if (url != null && "file".equals(url.getProtocol())) {
            try {
                resources = Path.of(url.toURI()).getParent();
            } catch (java.net.URISyntaxException e) {
                // keep the source-tree path
            }
        }
        return resources;
    }

    public static void require() {
        Prerequisites.require(Files.isDirectory(DIR.resolve("virtee-sev_milan-vcek-v2")),
                "the real SEV-SNP vectors folder " + DIR + " is absent: it ships in kavach-attestation-snp/src/test/resources/sev-snp;"
                        + " or set KAVACH_TESTDATA to a folder holding sev-snp/");
    }

    public static Path path(String relative) {
        return DIR.resolve(relative);
    }

    public static byte[] bytes(String relative) {
        try {
            return Files.readAllBytes(path(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static X509Certificate cert(String relative) {
        return CertificateFiles.readOne(path(relative));
    }
}
