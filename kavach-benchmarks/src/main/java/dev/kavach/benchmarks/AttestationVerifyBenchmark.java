package dev.kavach.benchmarks;

import dev.kavach.attestation.snp.AppraisalPolicy;
import dev.kavach.attestation.snp.AttestationReport;
import dev.kavach.attestation.snp.AttestationResult;
import dev.kavach.attestation.snp.CertificateFiles;
import dev.kavach.attestation.snp.ChainCache;
import dev.kavach.attestation.snp.ChainVerification;
import dev.kavach.attestation.snp.ReportVerifier;
import dev.kavach.attestation.snp.SnpAttestationVerifier;
import dev.kavach.attestation.snp.VekChain;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;

/**
 * SEV-SNP reports verified per second on one thread, with AMD's real Milan vector: the ECDSA P-384
 * report signature plus the RSASSA-PSS chain (ARK self-signature, ASK, VCEK), with the chain checked on
 * every report ({@code uncached}) or remembered per certificate triple ({@code cached}, what a host that
 * attests many tasks on one chip pays). {@code appraisal} adds the policy checks to the cached path.
 *
 * <p>Needs the shared vectors: {@code $KAVACH_TESTDATA/sev-snp} (default {@code ../shared/testdata}).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class AttestationVerifyBenchmark {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

    private AttestationReport report;
    private VekChain chain;
    private ReportVerifier uncached;
    private ReportVerifier cached;
    private SnpAttestationVerifier appraising;
    private AppraisalPolicy policy;

    @Setup(Level.Trial)
    public void load() throws IOException {
        String env = System.getenv("KAVACH_TESTDATA");
        Path dir = (env != null && !env.isBlank() ? Path.of(env) : Path.of("..", "shared", "testdata")).resolve("sev-snp/virtee-sev_milan-vcek-v2");
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("SEV-SNP vectors not found at " + dir.toAbsolutePath() + ": set KAVACH_TESTDATA to the folder holding sev-snp/");
        }
        report = AttestationReport.parse(Files.readAllBytes(dir.resolve("report_milan.bin")));
        chain = new VekChain(CertificateFiles.readOne(dir.resolve("vcek_milan.der")), CertificateFiles.readOne(dir.resolve("ask_milan.pem")),
                CertificateFiles.readOne(dir.resolve("ark_milan.pem")));
        uncached = new ReportVerifier(CLOCK);
        cached = new ReportVerifier(CLOCK, new ChainCache(16));
        appraising = new SnpAttestationVerifier(cached);
        policy = AppraisalPolicy.defaults();
        if (!uncached.verify(report, chain).passed()) {
            throw new IllegalStateException("the vector does not verify; the benchmark would measure a failure path");
        }
    }

    @Benchmark
    public ChainVerification signatureAndChainUncached() {
        return uncached.verify(report, chain);
    }

    @Benchmark
    public ChainVerification signatureAndChainCached() {
        return cached.verify(report, chain);
    }

    @Benchmark
    public AttestationResult appraisalWithCachedChain() {
        return appraising.verify(report, chain, policy);
    }
}
