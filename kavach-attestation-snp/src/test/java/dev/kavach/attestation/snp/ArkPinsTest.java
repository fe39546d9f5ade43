package dev.kavach.attestation.snp;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hard-coded ARK pins are the SHA-256 of AMD's published ARKs, and nothing else matches them. */
class ArkPinsTest {
    @Test
    void pinsMatchAmdsRootFiles() {
        SharedVectors.require();
        for (SevGeneration g : SevGeneration.values()) {
            String file = "amd-roots_virtee-sev-builtin/ark_" + g.kdsName().toLowerCase(java.util.Locale.ROOT) + ".pem";
            byte[] actual = ReportVerifier.sha256(SharedVectors.cert(file));
            assertArrayEquals(g.arkSha256(), actual, () -> g + " pin differs from " + file + ": " + HexFormat.of().formatHex(actual));
            assertEquals(g, TrustAnchors.amd().generationOf(actual).orElseThrow());
        }
    }

    @Test
    void asksAreNotTrustAnchors() {
        SharedVectors.require();
        for (String g : new String[] {"milan", "genoa", "turin"}) {
            byte[] ask = ReportVerifier.sha256(SharedVectors.cert("amd-roots_virtee-sev-builtin/ask_" + g + ".pem"));
            assertTrue(TrustAnchors.amd().generationOf(ask).isEmpty());
        }
    }

    @Test
    void pinsAreDistinctAndAmdAnchorsSayTheyAreAmds() {
        assertEquals(3, java.util.Arrays.stream(SevGeneration.values()).map(g -> HexFormat.of().formatHex(g.arkSha256())).distinct().count());
        assertTrue(TrustAnchors.amd().isAmd());
        assertTrue(!TrustAnchors.of(java.util.Map.of(SevGeneration.MILAN, new byte[32])).isAmd());
    }
}
