package dev.kavach.attestation.snp;

import dev.kavach.api.Attestation.Check;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.cert.X509CRL;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Revocation against AMD-shaped CRLs signed by the (synthetic) ARK: fetched through an injected KDS, cached, verified. */
class RevocationTest {
    static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");
    static final Instant ISSUED = Instant.parse("2026-05-01T00:00:00Z");
    static final Instant NEXT = Instant.parse("2026-07-01T00:00:00Z");
    static SyntheticChain chain;

    @BeforeAll
    static void chain() {
        chain = SyntheticChain.create(SevGeneration.MILAN);
    }

    static X509CRL crl(List<BigInteger> revoked, Instant thisUpdate, Instant nextUpdate) throws Exception {
        return CertificateStore.parseCrl(SyntheticCrl.create(chain.ark, SyntheticChain.rsa(true).getPrivate(), thisUpdate, nextUpdate, revoked), "test");
    }

    @Test
    void anAskNotListedPassesAndARevokedAskFails() throws Exception {
        Check ok = Revocation.check(chain.chain(), crl(List.of(BigInteger.valueOf(77)), ISSUED, NEXT), NOW);
        assertTrue(ok.passed(), ok.detail());
        assertTrue(ok.detail().contains("not among the 1 revoked"), ok.detail());
        Check revoked = Revocation.check(chain.chain(), crl(List.of(BigInteger.valueOf(77), chain.ask.getSerialNumber()), ISSUED, NEXT), NOW);
        assertFalse(revoked.passed());
        assertTrue(revoked.detail().startsWith("AMD revoked the ASK"), revoked.detail());
    }

    @Test
    void aCrlNotSignedByTheArkOrOutOfDateIsRefused() throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048);
        X509CRL forged = CertificateStore.parseCrl(SyntheticCrl.create(chain.ark, gen.generateKeyPair().getPrivate(), ISSUED, NEXT, List.of()), "forged");
        Check f = Revocation.check(chain.chain(), forged, NOW);
        assertFalse(f.passed());
        assertTrue(f.detail().contains("does not verify with the ARK key"), f.detail());
        Check stale = Revocation.check(chain.chain(), crl(List.of(), Instant.parse("2026-01-01T00:00:00Z"), Instant.parse("2026-02-01T00:00:00Z")), NOW);
        assertFalse(stale.passed());
        assertTrue(stale.detail().contains("expired") && stale.detail().contains("fetch-certs --crl"), stale.detail());
        Check otherIssuer = Revocation.check(chain.chain(), CertificateStore.parseCrl(SyntheticCrl.create(chain.ask,
                SyntheticChain.rsa(false).getPrivate(), ISSUED, NEXT, List.of()), "ask-issued"), NOW);
        assertFalse(otherIssuer.passed());
        assertTrue(otherIssuer.detail().contains("not by the ARK"), otherIssuer.detail());
    }

    @Test
    void theVerifierFetchesCachesAndChecksTheCrlWhenAskedTo(@TempDir Path dir) throws Exception {
        byte[] der = SyntheticCrl.create(chain.ark, SyntheticChain.rsa(true).getPrivate(), ISSUED, NEXT, List.of(chain.ask.getSerialNumber()));
        InMemoryKds kds = InMemoryKds.serving(chain, der);
        CertificateStore store = new CertificateStore(dir, kds.client());
        SnpAttestationVerifier verifier = new SnpAttestationVerifier(new ReportVerifier(Clock.fixed(NOW, ZoneOffset.UTC), null, chain.anchors()));
        AttestationReport report = AttestationReport.parse(chain.report(new byte[64], 0x30000));
        AttestationResult r = verifier.verify(report, store.chainFor(report, java.util.Optional.empty(), List.of()), AppraisalPolicy.defaults(), store::crlFor);
        assertEquals(List.of("revocation"), r.failures().stream().map(Check::name).toList());
        assertTrue(Files.isRegularFile(dir.resolve("Milan/crl.der")), "the CRL is cached");
        assertTrue(kds.requests.contains("/vcek/v1/Milan/crl"), kds.requests.toString());

        // Without revocation checking the same report passes; offline with an empty cache the check fails naming the fix.
        assertTrue(verifier.verify(report, store.chainFor(report, java.util.Optional.empty(), List.of()), AppraisalPolicy.defaults()).passed());
        CertificateStore offline = new CertificateStore(dir.resolve("empty"), null);
        Check missing = Revocation.check(chain.chain(), SevGeneration.MILAN, offline::crlFor, NOW);
        assertFalse(missing.passed());
        assertTrue(missing.detail().contains("no cached Milan CRL") && missing.detail().contains("kavach sev fetch-certs --generation milan --crl"),
                missing.detail());
    }
}
