package dev.kavach.core;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/** Skips a test whose prerequisite is missing, except under CI ({@code CI=true}), where a skip would hide a broken setup. */
final class Prerequisites {
    private Prerequisites() {
    }

    static void require(boolean present, String whatIsMissingAndHowToInstall) {
        if (present) {
            return;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            Assertions.fail("prerequisite missing under CI: " + whatIsMissingAndHowToInstall);
        }
        Assumptions.assumeTrue(false, whatIsMissingAndHowToInstall);
    }
}
