package dev.kavach.backend.process;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/** Skips a test whose host tool is missing, except under CI ({@code CI} set), where a missing tool is a failure. */
final class Prerequisites {
    private Prerequisites() {
    }

    static void require(boolean present, String whatIsMissingAndHowToInstall) {
        if (present) {
            return;
        }
        String ci = System.getenv("CI");
        if (ci != null && !ci.isEmpty() && !ci.equalsIgnoreCase("false")) {
            Assertions.fail("CI requires this prerequisite: " + whatIsMissingAndHowToInstall);
        }
        Assumptions.assumeTrue(false, "skipped, missing: " + whatIsMissingAndHowToInstall);
    }

    /**
     * Skips a test that only root can run, also under CI: CI runs these tests both as root and as a normal user
     * (.ci/run), and as the normal user a root-only test has nothing to fail for.
     */
    static void requireRoot(boolean root, String whatNeedsRoot) {
        Assumptions.assumeTrue(root, () -> "skipped, not root: " + whatNeedsRoot + " (run the tests as root to include it)");
    }
}
