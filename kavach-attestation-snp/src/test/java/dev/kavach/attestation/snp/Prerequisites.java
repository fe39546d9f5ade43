package dev.kavach.attestation.snp;

import org.junit.jupiter.api.Assumptions;

import static org.junit.jupiter.api.Assertions.fail;

/** Skips a test whose prerequisite is missing, except under CI ({@code CI} set), where it fails instead. */
public final class Prerequisites {
    private Prerequisites() {
    }

    public static void require(boolean present, String whatIsMissingAndHowToGetIt) {
        if (present) {
            return;
        }
        String ci = System.getenv("CI");
        if (ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false")) {
            fail("CI requires this prerequisite: " + whatIsMissingAndHowToGetIt);
        }
        Assumptions.assumeTrue(false, "skipped: " + whatIsMissingAndHowToGetIt);
    }
}
