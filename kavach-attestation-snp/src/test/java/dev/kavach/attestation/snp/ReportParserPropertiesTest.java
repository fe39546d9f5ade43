package dev.kavach.attestation.snp;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.Arrays;

/** The parser's contract on hostile input: a report, or a {@link ReportParseException}, never anything else. */
class ReportParserPropertiesTest {
    private static void parseOrReject(byte[] bytes) {
        try {
            AttestationReport r = AttestationReport.parse(bytes);
            // Decoding every field of an accepted report must not throw either.
            for (SevGeneration g : SevGeneration.values()) {
                r.reportedTcb(g).components();
                r.currentTcb(g).components();
            }
            r.policy().debugAllowed();
            r.signingKey();
            r.generationFromCpuid();
            r.launchMitVector();
        } catch (ReportParseException expected) {
            if (expected.field().isEmpty() || expected.getMessage().isEmpty()) {
                throw new AssertionError("parse exception without a field or message", expected);
            }
        }
    }

    @Property(tries = 300)
    void randomBytesOfAnyLength(@ForAll @Size(max = 2500) byte[] bytes) {
        parseOrReject(bytes);
    }

    @Property(tries = 300)
    void randomBytesOfTheRightLength(@ForAll("reports") byte[] bytes) {
        parseOrReject(bytes);
    }

    @Property(tries = 300)
    void truncatedAndExtendedValidReports(@ForAll @IntRange(min = 0, max = 1300) int length, @ForAll("versions") int version) {
        parseOrReject(Arrays.copyOf(AttestationReportTest.minimal(version), length));
    }

    @Property(tries = 500)
    void validReportsWithOneByteChanged(@ForAll("versions") int version, @ForAll @IntRange(max = 1183) int offset, @ForAll byte value) {
        byte[] b = AttestationReportTest.minimal(version);
        b[offset] = value;
        parseOrReject(b);
    }

    @Provide
    Arbitrary<byte[]> reports() {
        return Arbitraries.bytes().array(byte[].class).ofSize(AttestationReport.LENGTH).map(b -> {
            // Keep the header plausible half the time so the deeper checks are reached.
            if (b[1] % 2 == 0) {
                b[0] = (byte) new int[] {2, 3, 5}[Math.floorMod(b[2], 3)];
                b[1] = b[2] = b[3] = 0;
                b[0x34] = 1;
                b[0x35] = b[0x36] = b[0x37] = 0;
            }
            return b;
        });
    }

    @Provide
    Arbitrary<Integer> versions() {
        return Arbitraries.of(2, 3, 5);
    }
}
