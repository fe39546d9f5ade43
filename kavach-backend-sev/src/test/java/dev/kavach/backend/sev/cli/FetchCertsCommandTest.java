package dev.kavach.backend.sev.cli;

import dev.kavach.attestation.snp.*;
import dev.kavach.attestation.snp.*;
import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendSettings;
import dev.kavach.backend.sev.cli.AttestCommand;
import dev.kavach.backend.sev.cli.FetchCertsCommand;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code kavach sev fetch-certs}: fills the cache from an (in-memory) KDS so that an offline host verifies from it alone. */
class FetchCertsCommandTest {
    static SyntheticChain chain;

    @TempDir
    Path dir;

    @BeforeAll
    static void chain() {
        chain = SyntheticChain.create(SevGeneration.MILAN);
    }

    record Run(int exit, String out, String err) {
    }

    private BackendContext context(boolean offline) {
        return new BackendContext("sev", BackendSettings.of("kavach.backends.sev", Map.of("attestation.cert-dir", dir.resolve("certs").toString(),
                "attestation.offline", Boolean.toString(offline))), dir.resolve("state"), "0.1.0");
    }

    private Run fetch(InMemoryKds kds, boolean interactive, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = new FetchCertsCommand(s -> kds.client(), chain.anchors(), interactive).run(List.of(args), context(false),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void fromAReportItFillsTheCacheThatAnOfflineVerifierThenUses() throws Exception {
        byte[] crl = SyntheticCrl.create(chain.ark, SyntheticChain.rsa(true).getPrivate(), java.time.Instant.parse("2026-05-01T00:00:00Z"),
                java.time.Instant.parse("2026-07-01T00:00:00Z"), List.of());
        InMemoryKds kds = InMemoryKds.serving(chain, crl);
        Path report = Files.write(dir.resolve("report.bin"), chain.report(new byte[64], 0x30000));
        Run r = fetch(kds, false, "--report", report.toString(), "--crl");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertEquals("", r.err(), "no progress when stderr is not a terminal");
        Path vcek = dir.resolve("certs/Milan/vcek").resolve(KdsClient.hwid(SevGeneration.MILAN, chain.chipId)).resolve(String.format("%016x.der", chain.tcb.raw()));
        assertEquals(List.of(dir.resolve("certs/Milan/cert_chain.pem").toString(), vcek.toString(), dir.resolve("certs/Milan/crl.der").toString()),
                r.out().lines().toList());
        assertEquals(3, kds.requests.size(), kds.requests.toString());

        // A second run finds everything cached except the CRL, which --crl refreshes.
        Run again = fetch(kds, true, "--report", report.toString(), "--crl");
        assertEquals(0, again.exit());
        assertTrue(again.err().contains("fetching Milan ASK+ARK chain ... already cached") && again.err().contains("fetching Milan CRL ... done"), again.err());
        assertEquals(4, kds.requests.size());

        // The air-gapped verifier: offline, KDS forbidden, certificates and CRL from the filled cache.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = new AttestCommand(chain.anchors(), s -> {
            throw new AssertionError("offline verification must not build a KDS client");
        }).run(List.of("verify", "--report", report.toString(), "--check-revocation", "--at", "2026-06-01T00:00:00Z"), context(true),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertEquals(0, exit, out.toString(StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("PASS revocation"), out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void forAGivenChipAndTcb() throws Exception {
        InMemoryKds kds = InMemoryKds.serving(chain, null);
        Run r = fetch(kds, false, "--generation", "milan", "--chip-id", HexFormat.of().formatHex(chain.chipId), "--tcb",
                "boot_loader=3,tee=0,snp=8,microcode=115");
        assertEquals(0, r.exit(), r.err());
        assertTrue(kds.requests.get(1).endsWith("?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115"), kds.requests.toString());
        Run hex = fetch(kds, false, "--generation", "milan", "--chip-id", HexFormat.of().formatHex(chain.chipId), "--tcb", String.format("%016x", chain.tcb.raw()));
        assertEquals(0, hex.exit(), hex.err());
        assertEquals(r.out(), hex.out(), "the raw TCB names the same cache file");
    }

    @Test
    void unusableInputAndUnpinnedChainsAreRefused() throws Exception {
        InMemoryKds kds = InMemoryKds.serving(chain, null);
        for (String[] args : List.of(new String[] {}, new String[] {"--generation", "naples"}, new String[] {"--generation", "milan", "--chip-id", "00"},
                new String[] {"--generation", "milan", "--chip-id", "zz", "--tcb", "0"}, new String[] {"--report", dir.resolve("none").toString()})) {
            Run r = fetch(kds, false, args);
            assertEquals(2, r.exit(), String.join(" ", args) + ": " + r.err());
            assertTrue(r.err().startsWith("kavach sev fetch-certs: "), r.err());
        }
        SyntheticChain other = SyntheticChain.create(SevGeneration.GENOA);
        InMemoryKds wrongRoot = new InMemoryKds();
        // A Genoa chain served as Milan's: its ARK is not the pinned Milan root.
        wrongRoot.answers.put("/vcek/v1/Milan/cert_chain", (CertificateFiles.pem(other.ask) + CertificateFiles.pem(other.ark)).getBytes());
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = new FetchCertsCommand(s -> wrongRoot.client(), TrustAnchors.of(Map.of(SevGeneration.MILAN, new byte[32])), false)
                .run(List.of("--generation", "milan"), context(false), new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(1, exit);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("does not end in AMD's pinned Milan root"), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void kavachSevRoutesFetchCertsHere() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = new dev.kavach.backend.sev.cli.SevCommand().run(List.of("fetch-certs"), context(false), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, exit);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("kavach sev fetch-certs: give --report FILE"), err.toString(StandardCharsets.UTF_8));
    }
}
